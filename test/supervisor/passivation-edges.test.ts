import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, cast, deferReply, replyTo, startBranch, type AnyBranch, type ReplyToken } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { FlakyStore } from '../support/stores'
import { stoppedAfterEach } from '../support/cleanup'
import { turns } from '../support/deferred'

// The idle timer's timing: a branch that can't be let go is looked at again a
// full period later (not as soon as it could go), and a durable branch whose
// writes are settling is let go only if nothing happened meanwhile: a message
// puts it off, a stop ends the watch for good.

const started = stoppedAfterEach<AnyBranch>()

type Event = { type: 'add' } | { type: 'hold' } | { type: 'crash' }
let held: ReplyToken | undefined
const counter = fromTransition((n: number, e: Event) => {
  if (e.type === 'crash') throw new Error('crash')
  if (e.type === 'hold') held = deferReply()
  return e.type === 'add' ? n + 1 : n
}, 0)

async function open(extra: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const branch = await startBranch({ logic: counter, clock, idleTimeout: 1000, ...extra })
  started.push(branch)
  const passivations: number[] = []
  branch.on('passivate', () => passivations.push(clock.now()))
  return { clock, branch, passivations }
}

describe('idle passivation, timing', () => {
  it('a branch busy when its idle period ends is looked at again one full period later', async () => {
    const { clock, branch, passivations } = await open()
    const answer = call(branch, { type: 'hold' }, { timeout: Infinity })
    clock.advance(1500) // at 1000 it awaited a reply
    replyTo(held, 'done')
    await answer
    clock.advance(499)
    expect(branch.status).toBe('running')
    clock.advance(1)
    expect(passivations).toEqual([2000])
  })

  it('a restart is no message: a branch killed while idle passivates on time, watched by one timer', async () => {
    const { clock, branch, passivations } = await open()
    clock.advance(600)
    branch.kill()
    expect(branch.children()[1]).toMatchObject({ restarts: 1 })
    expect(clock.pending).toBe(1)
    clock.advance(400)
    expect(passivations).toEqual([1000])
  })

  it('a message while the writes settle puts the passivation off by a full idle period', async () => {
    const store = new FlakyStore()
    const { clock, branch, passivations } = await open({ durable: { store, id: 'idle-edges', durability: 'batched' } })
    const release = store.hold()
    cast(branch, { type: 'add' })
    clock.advance(1000) // idle for good, but the write is held
    clock.advance(100)
    cast(branch, { type: 'add' })
    release()
    expect(await call(branch, { type: 'add' })).toBe(3)
    expect(branch.status).toBe('running')
    expect(passivations).toEqual([])
    const passivated = new Promise((resolve) => branch.once('passivate', resolve))
    clock.advance(999)
    expect(clock.pending).toBe(1)
    clock.advance(1) // a full period after the last message, at 1100
    await passivated
    expect(passivations).toEqual([2100])
  })

  it('a branch moved (suspended and resumed) while its writes settle waits a full period from its new worker', async () => {
    const store = new FlakyStore()
    const { clock, branch, passivations } = await open({ durable: { store, id: 'idle-moved', durability: 'batched' } })
    const release = store.hold()
    cast(branch, { type: 'add' })
    clock.advance(1000) // idle for good, but the write is held
    branch._resume(branch._suspend()) // the new worker re-arms the timer: no message comes
    release()
    await turns()
    expect(passivations).toEqual([])
    expect(await store.loadSnapshot('idle-moved')).toMatchObject({ data: { context: 1 } })
    const passivated = new Promise((resolve) => branch.once('passivate', resolve))
    clock.advance(999)
    await turns()
    expect(passivations).toEqual([])
    clock.advance(1)
    await passivated
    expect(passivations).toEqual([2000])
  })

  it('a branch stopped while its writes settle is never let go, and leaves no timer', async () => {
    const store = new FlakyStore()
    const { clock, branch, passivations } = await open({ durable: { store, id: 'idle-stop', durability: 'batched' } })
    const release = store.hold()
    cast(branch, { type: 'add' })
    clock.advance(1000)
    const stopped = branch.stop()
    release()
    await stopped
    await call(branch, { type: 'add' }).catch(() => undefined)
    expect(branch.status).toBe('stopped')
    expect(passivations).toEqual([])
    expect(clock.pending).toBe(0)
  })
  it('a branch that gives up while its writes settle is never let go, and leaves no timer', async () => {
    const store = new FlakyStore()
    const { clock, branch, passivations } = await open({ durable: { store, id: 'idle-give-up', durability: 'batched' }, intensity: { maxRestarts: 0 } })
    const release = store.hold()
    cast(branch, { type: 'add' })
    clock.advance(1000)
    cast(branch, { type: 'crash' })
    expect(branch.status).toBe('stopped')
    release()
    // The held write ends within this turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
    expect((await store.loadSnapshot('idle-give-up'))?.data).toMatchObject({ context: 1 })
    expect(passivations).toEqual([])
    expect(clock.pending).toBe(0)
  })
})
