import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { BranchStoppedError, call, cast, deferReply, MemoryStore, replyTo, startBranch, StoreUnavailableError, type AnyBranch, type ReplyToken } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'
import { GatedStore, HeldStore } from '../support/stores'
import { turns } from '../support/deferred'

// Stopping a branch: with nothing to wait for it stops at once; a graceful
// stop waits for every deferred reply and for the writes, then completes; a
// stop at once drops queued casts and rejects queued calls.

const started = stoppedAfterEach<AnyBranch>()

describe('a stop with messages queued', () => {
  it('casts and calls queued behind a held write: the casts are dropped, the calls reject, the stop completes', async () => {
    const store = new HeldStore(new MemoryStore())
    const branch = await startBranch({ logic: counterReducer, durable: { store, id: 'queued' } })
    started.push(branch)
    const release = store.hold()
    const first = call(branch, { type: 'inc' }).catch((e: unknown) => e)
    while (store.waiting === 0) await turns(1)
    cast(branch, { type: 'inc' })
    const queued = call(branch, { type: 'inc' }).catch((e: unknown) => e)
    cast(branch, { type: 'inc' })
    await expect(branch.stop({ timeout: 0 })).resolves.toBeUndefined()
    expect(await queued).toBeInstanceOf(BranchStoppedError)
    release()
    await first
    expect(branch.state()).toBe(1)
    expect(branch.status).toBe('stopped')
  })
})

/** Defers every `hold`; the tokens are handed to `tokens`. */
function holder(tokens: ReplyToken[]) {
  return fromTransition((n: number, e: { type: 'hold' } | { type: 'inc' }) => {
    if (e.type === 'hold') tokens.push(deferReply())
    return e.type === 'inc' ? n + 1 : n
  }, 0)
}

describe('a graceful stop', () => {
  it('with nothing to wait for, stops before its promise is awaited', async () => {
    const branch = await startBranch({ logic: holder([]) })
    started.push(branch)
    const stopping = branch.stop()
    expect(branch.status).toBe('stopped')
    await stopping
  })

  it('waits for every deferred reply, and ends when the last one is given, not at its timeout', async () => {
    const clock = new ManualClock()
    const tokens: ReplyToken[] = []
    const branch = await startBranch({ logic: holder(tokens), clock })
    started.push(branch)
    const first = call(branch, { type: 'hold' }, { timeout: Infinity })
    const second = call(branch, { type: 'hold' }, { timeout: Infinity })
    let stopped = false
    const stopping = branch.stop({ timeout: 60_000 }).then(() => (stopped = true))
    replyTo(tokens[0], 'first')
    expect(await first).toBe('first')
    await turns()
    expect(stopped).toBe(false)
    replyTo(tokens[1], 'second')
    expect(await second).toBe('second')
    await stopping
    expect(clock.now()).toBe(0)
  })

  it('of a durable branch waits for the write of the call in flight, which resolves', async () => {
    const store = new HeldStore(new MemoryStore())
    const branch = await startBranch({ logic: counterReducer, durable: { store, id: 'graceful' } })
    started.push(branch)
    const release = store.hold()
    const inc = call(branch, { type: 'inc' })
    while (store.waiting === 0) await turns(1)
    let stopped = false
    const stopping = branch.stop().then(() => (stopped = true))
    await turns()
    expect(stopped).toBe(false)
    release()
    expect(await inc).toBe(1)
    await stopping
    expect(branch.status).toBe('stopped')
  })
})

describe('a failed write', () => {
  it("rejects a call waiting for a deferred reply with the store's error, with no message in flight", async () => {
    const store = new GatedStore()
    const tokens: ReplyToken[] = []
    const branch = await startBranch({ logic: holder(tokens), durable: { store, id: 'lost-deferred' }, clock: new ManualClock() })
    started.push(branch)
    const waiting = call(branch, { type: 'hold' }, { timeout: Infinity }).catch((e: unknown) => e)
    await turns()
    expect(tokens).toHaveLength(1)
    store.down = true
    const lost = call(branch, { type: 'inc' }).catch((e: unknown) => e) // its write fails: the worker is let go, and with it every call it holds
    expect(await lost).toBeInstanceOf(StoreUnavailableError)
    expect(await waiting).toBeInstanceOf(StoreUnavailableError)
  })
})

describe("stop's options", () => {
  it('are checked, naming the option; a timeout of Infinity is taken (an unbounded wait)', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    await expect(branch.stop('soon' as never)).rejects.toMatchObject({ option: 'stop options' })
    await expect(branch.stop({ timeout: -1 })).rejects.toMatchObject({ option: 'timeout' })
    expect(branch.status).toBe('running')
    await branch.stop({ timeout: Infinity })
    expect(branch.status).toBe('stopped')
  })
})

describe("a graceful stop's timer", () => {
  it('ends the wait when it runs out, is cleared when the replies come first, and is not armed for an unbounded stop', async () => {
    const clock = new ManualClock()
    const tokens: ReplyToken[] = []
    const branches = await Promise.all([0, 1, 2].map(() => startBranch({ logic: holder(tokens), clock })))
    started.push(...branches)
    const [late, answered, unbounded] = branches as [AnyBranch, AnyBranch, AnyBranch]
    const waits = branches.map((branch) => call(branch, { type: 'hold' }, { timeout: Infinity }).catch((e: unknown) => e))
    await turns(2)
    expect(tokens).toHaveLength(3)

    let ended = false
    const stopping = late.stop({ timeout: 50 }).then(() => (ended = true))
    clock.advance(49)
    await turns(2)
    expect(ended).toBe(false)
    clock.advance(1)
    await stopping
    expect(await waits[0]).toBeInstanceOf(BranchStoppedError)
    expect(clock.pending).toBe(0)

    const graceful = answered.stop({ timeout: 1000 })
    replyTo(tokens[1] as ReplyToken, 'done')
    await graceful
    expect(await waits[1]).toBe('done')
    expect(clock.pending).toBe(0)

    const forever = unbounded.stop({ timeout: Infinity })
    await turns(2)
    expect(clock.pending).toBe(0)
    replyTo(tokens[2] as ReplyToken, 'done too')
    await forever
    expect(await waits[2]).toBe('done too')
  })
})
