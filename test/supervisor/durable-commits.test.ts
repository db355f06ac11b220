import { describe, expect, it } from 'vitest'
import { assign, fromPromise, setup } from 'xstate'
import { call, callAll, cast, MemoryStore, startBranch, StoreUnavailableError, type AnyBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { FlakyStore, GatedStore } from '../support/stores'
import { turns } from '../support/deferred'

// The commit bookkeeping of a durable branch (Commits), seen from outside:
// with sync durability the next message waits for the newest write, whichever
// ended first; a failed write is one recovery however many writes it fails; a
// branch that stopped reads nothing back; an activation marker is written and
// numbered.

const started = stoppedAfterEach<AnyBranch>()

/** `go` counts and starts work the test finishes (`finish`), whose end is a state (and a write) of its own; `inc` counts. */
let finish: () => void = () => {}
const worker = setup({
  types: { context: {} as { n: number; done: number }, events: {} as { type: 'go' } | { type: 'inc' } },
  actors: { work: fromPromise(() => new Promise<void>((resolve) => (finish = resolve))) }
}).createMachine({
  context: { n: 0, done: 0 },
  initial: 'idle',
  on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
  states: {
    idle: { on: { go: { target: 'working', actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    working: { invoke: { src: 'work', onDone: { target: 'idle', actions: assign({ done: ({ context }) => context.done + 1 }) } } }
  }
})

describe('a durable branch with sync durability', () => {
  it('the next message waits for the newest write, not the first one to end', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'order' } })
    started.push(branch)
    store.gating = true
    const went = call(branch, { type: 'go' })
    finish() // the work ends while the message's own write is held: a second write, of no message
    // The message's write starts at once (no write before it); the work's end takes a few turns.
    while (store.waiting === 0 || branch.state().done === 0) await turns(1)
    cast(branch, { type: 'inc' })
    expect(branch.state()).toEqual({ n: 1, done: 1 })
    store.releaseOne() // the message's write ends
    while (store.waiting === 0) await turns(1) // the work's write reached the store and waits
    await turns()
    expect(branch.state()).toEqual({ n: 1, done: 1 }) // inc still waits
    store.gating = false
    store.releaseOne()
    await went
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 3, done: 1 })
  })

  it("a call's reply goes out after its event was told persisted and the next message was let through; a failed write rejects it with the store's error", async () => {
    const store = new FlakyStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'replies', mode: 'journal' } })
    started.push(branch)
    const seen: string[] = []
    branch.on('persisted', ({ seq }) => seen.push(`persisted ${seq}`))
    const release = store.hold()
    const first = call(branch, { type: 'inc' }).then((state) => seen.push(`reply ${(state as { n: number }).n}`))
    const second = call(branch, { type: 'inc' }).then((state) => seen.push(`reply ${(state as { n: number }).n}`))
    await turns()
    expect(seen).toEqual([])
    release()
    await Promise.all([first, second])
    expect(seen).toEqual(['persisted 1', 'reply 1', 'persisted 2', 'reply 2'])
    store.down = true
    await expect(call(branch, { type: 'inc' })).rejects.toBeInstanceOf(StoreUnavailableError)
  })

  it('a callAll batch is one write: the next message waits for it, and its failure is a recovery', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'batch' } })
    started.push(branch)
    store.gating = true
    const batch = callAll(branch, [{ type: 'inc' }, { type: 'inc' }])
    while (store.waiting === 0) await turns(1)
    cast(branch, { type: 'inc' })
    await turns()
    expect(branch.state()).toEqual({ n: 2, done: 0 }) // the cast waits for the batch's write
    store.releaseOne()
    expect(await batch).toEqual({ n: 2, done: 0 })
    while (store.waiting === 0) await turns(1) // the cast went on, its write waits
    expect(branch.state()).toEqual({ n: 3, done: 0 })
    store.gating = false
    store.releaseOne()
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 4, done: 0 })
    store.down = true
    const restarted = new Promise((resolve) => branch.once('restart', resolve))
    const failed = callAll(branch, [{ type: 'inc' }, { type: 'inc' }]).catch((e: unknown) => e)
    expect(await failed).toBeInstanceOf(StoreUnavailableError)
    store.down = false
    await restarted
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 5, done: 0 }) // nothing of the failed batch
  })

  it('two writes failing together are one recovery: the branch restarts once', async () => {
    const clock = new ManualClock()
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'twice' }, clock })
    started.push(branch)
    let restarts = 0
    branch.on('restart', () => restarts++)
    store.gating = true
    const went = call(branch, { type: 'go' }, { timeout: Infinity }).catch((e: unknown) => e)
    finish()
    while (store.waiting === 0) await turns(1)
    await turns()
    store.down = true
    store.gating = false
    store.releaseOne()
    expect(await went).toBeInstanceOf(StoreUnavailableError)
    await turns()
    expect(branch.status).toBe('restarting')
    store.down = false
    while (restarts === 0) {
      clock.advance(100)
      await turns(1)
    }
    await turns()
    clock.advance(10_000)
    await turns()
    expect(restarts).toBe(1)
    expect(await call(branch, { type: 'inc' }, { timeout: Infinity })).toEqual({ n: 1, done: 0 })
  })

  it('a branch stopped while a write is held reads nothing back when that write fails', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'closed' } })
    started.push(branch)
    store.gating = true
    const went = call(branch, { type: 'inc' }).catch((e: unknown) => e)
    while (store.waiting === 0) await turns(1)
    await branch.stop({ timeout: 0 })
    const loads = store.loads
    store.down = true
    store.gating = false
    store.releaseOne()
    await turns()
    expect(await went).toBeInstanceOf(Error)
    expect(store.loads).toBe(loads)
    expect(branch.status).toBe('stopped')
  })
})

describe('an activation marker (_mark, for cluster pools)', () => {
  it.each(['journal', 'snapshot'] as const)('is written before any message in %s mode and resolves with its sequence number', async (mode) => {
    const store = new MemoryStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: `mark-${mode}`, mode } })
    started.push(branch)
    expect(await branch._mark({ node: 'a', inc: 1 }, '7')).toBe(1)
    const [marker] = await store.read(`mark-${mode}`)
    expect(marker?.payload).toMatchObject({ node: 'a', inc: 1 })
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 1, done: 0 })
  })

  it('a branch that is not durable has nothing to mark', async () => {
    const branch = await startBranch({ logic: worker })
    started.push(branch)
    expect(await branch._mark({ node: 'a', inc: 1 }, '7')).toBeUndefined()
  })
})

/** A branch whose writes fail from now on, on a manual clock: `fail` makes one message's write fail and resolves once its call rejected. */
async function failing(id: string, options: { durability?: 'sync' | 'batched' } = {}) {
  const clock = new ManualClock()
  const store = new GatedStore()
  const branch = await startBranch({ logic: worker, durable: { store, id, ...options }, clock })
  started.push(branch)
  const restarts: number[] = []
  branch.on('restart', () => restarts.push(clock.now()))
  const fail = async (): Promise<void> => {
    store.down = true
    expect(await call(branch, { type: 'inc' }).catch((e: unknown) => e)).toBeInstanceOf(StoreUnavailableError)
    await turns()
  }
  return { clock, store, branch, restarts, fail }
}

describe('reading the state back after a failed write', () => {
  it('retries after 100 ms, then twice as long each time, at most 5 s apart', async () => {
    const { clock, store, fail } = await failing('backoff')
    await fail()
    const loadsAt: number[] = []
    for (let t = 0; t <= 20_000; t += 50) {
      const before = store.loads
      clock.advance(t === 0 ? 0 : 50)
      await turns(3)
      if (store.loads > before) loadsAt.push(clock.now())
    }
    expect(loadsAt.slice(0, 7)).toEqual([100, 300, 700, 1500, 3100, 6300, 11_300])
  })

  it('reads back again after a second failure, once the first one recovered', async () => {
    const { clock, store, branch, restarts, fail } = await failing('again')
    for (const round of [1, 2]) {
      await fail()
      expect(branch.status).toBe('restarting')
      store.down = false
      clock.advance(100)
      while (restarts.length < round) await turns(1)
      expect(await call(branch, { type: 'inc' }, { timeout: Infinity })).toEqual({ n: round, done: 0 })
    }
  })

  it('messages queued during the read-back go one at a time, each after the write of the one before (sync)', async () => {
    const { clock, store, branch, restarts, fail } = await failing('queued-behind')
    await fail()
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'inc' })
    store.down = false
    store.gating = true
    clock.advance(100)
    while (restarts.length === 0 || store.waiting === 0) await turns(1)
    await turns()
    expect(branch.state()).toEqual({ n: 1, done: 0 }) // the second waits for the first's write
    store.releaseOne()
    while (store.waiting === 0) await turns(1)
    expect(branch.state()).toEqual({ n: 2, done: 0 })
    store.gating = false
    store.releaseOne()
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 3, done: 0 })
  })

  it('a branch stopped while it waits to read again leaves no timer and reads no more', async () => {
    const { clock, store, branch, fail } = await failing('stopped-waiting')
    await fail()
    const loads = store.loads
    await branch.stop({ timeout: 0 })
    expect(clock.pending).toBe(0)
    store.down = false
    clock.advance(10_000)
    await turns()
    expect(store.loads).toBe(loads)
  })

  it('a branch stopped while a read is under way starts no worker when it ends, and sets no timer when it fails', async () => {
    for (const ending of ['succeeds', 'fails'] as const) {
      const { clock, store, branch, restarts, fail } = await failing(`stopped-reading-${ending}`)
      let open!: () => void
      store.readGate = new Promise<void>((resolve) => (open = resolve))
      const loads = store.loads
      await fail()
      expect(store.loads).toBe(loads + 1) // the read is at its gate
      await branch.stop({ timeout: 0 })
      store.down = ending === 'fails'
      open()
      await turns()
      expect(clock.pending).toBe(0)
      expect(restarts).toEqual([])
      expect(branch.status).toBe('stopped')
      expect(branch.worker()).toBeUndefined() // no worker was started for it
    }
  })

  it('with batched durability the next message does not wait for a write', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'batched', durability: 'batched' } })
    started.push(branch)
    store.gating = true
    const first = call(branch, { type: 'inc' })
    while (store.waiting === 0) await turns(1)
    cast(branch, { type: 'inc' })
    expect(branch.state()).toEqual({ n: 2, done: 0 })
    store.gating = false
    store.releaseOne()
    expect(await first).toEqual({ n: 1, done: 0 })
  })
})
