import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { assign, sendParent, sendTo, setup, spawnChild } from 'xstate'
import { call, callAll, cast, startBranch, type AnyBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// A delayed event pending at a crash is rescheduled for the time it had left,
// so it fires when it was first due, however many restarts come between.
// xstate stamps a delayed event with `Date.now()` and times it on the actor's
// clock: both are moved together here, `Date` faked and a manual clock injected.

const started = stoppedAfterEach<AnyBranch>()

let clock: ManualClock
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
  clock = new ManualClock()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Moves both of xstate's time bases forward by `ms`. */
function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms)
  clock.advance(ms)
}

const watchdog = setup({
  types: { context: {} as { timeouts: number }, events: {} as { type: 'arm' } | { type: 'get' } }
}).createMachine({
  context: { timeouts: 0 },
  initial: 'idle',
  states: {
    idle: { on: { arm: 'waiting' } },
    waiting: {
      after: { 1000: { target: 'idle', actions: assign({ timeouts: ({ context }) => context.timeouts + 1 }) } }
    }
  }
})

const state = (branch: AnyBranch) => branch.worker()?.getSnapshot().value

describe('a delayed event pending at a crash', () => {
  it('fires when it was first due, not a full delay after the restart', async () => {
    const branch = await startBranch({ logic: watchdog, clock })
    started.push(branch)
    cast(branch, { type: 'arm' })
    advance(400)
    branch.kill()
    advance(599)
    expect(state(branch)).toBe('waiting')
    advance(1)
    expect(state(branch)).toBe('idle')
    expect(await call(branch, { type: 'get' })).toEqual({ timeouts: 1 })
  })

  it('still fires when first due after two restarts', async () => {
    const branch = await startBranch({ logic: watchdog, clock })
    started.push(branch)
    cast(branch, { type: 'arm' })
    advance(300)
    branch.kill()
    advance(300)
    branch.kill()
    advance(399)
    expect(state(branch)).toBe('waiting')
    advance(1)
    expect(state(branch)).toBe('idle')
    expect(await call(branch, { type: 'get' })).toEqual({ timeouts: 1 })
  })
})

// Delays between the worker and its children are named by place (the worker,
// or a child's id), since the actors are new after a restart.

const ticker = setup({
  types: { context: {} as { pokes: number }, events: {} as { type: 'poke' } }
}).createMachine({
  context: { pokes: 0 },
  entry: sendParent({ type: 'tick' }, { delay: 1000 }),
  on: { poke: { actions: assign({ pokes: ({ context }) => context.pokes + 1 }) } }
})

type HostEvent = { type: 'tick' } | { type: 'arm' } | { type: 'get' }

const host = setup({
  types: { context: {} as { ticks: number }, events: {} as HostEvent },
  actors: { ticker }
}).createMachine({
  context: { ticks: 0 },
  // Two children: a delayed event must reach the one it was sent to, not the first.
  invoke: [
    { src: 'ticker', id: 'other' },
    { src: 'ticker', id: 'ticker' }
  ],
  on: {
    tick: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) },
    arm: { actions: sendTo('ticker', { type: 'poke' }, { delay: 1000 }) }
  }
})

function counts(branch: AnyBranch): { ticks: number; pokes: number; otherPokes: number } {
  const snapshot = branch.worker()?.getSnapshot()
  const pokes = (id: string) => (snapshot?.children[id] as { getSnapshot(): { context: { pokes: number } } } | undefined)?.getSnapshot().context.pokes ?? -1
  return { ticks: snapshot?.context.ticks, pokes: pokes('ticker'), otherPokes: pokes('other') }
}

describe('delayed events between a worker and its child, pending at a crash', () => {
  it('reach the restarted child and worker when first due', async () => {
    const branch = await startBranch({ logic: host, clock })
    started.push(branch)
    advance(200)
    cast(branch, { type: 'arm' })
    advance(200)
    branch.kill()
    expect(counts(branch)).toEqual({ ticks: 0, pokes: 0, otherPokes: 0 })
    advance(599)
    expect(counts(branch)).toEqual({ ticks: 0, pokes: 0, otherPokes: 0 })
    // The children's delayed events to the worker, sent at the start, are due first.
    advance(1)
    expect(counts(branch)).toEqual({ ticks: 2, pokes: 0, otherPokes: 0 })
    advance(199)
    expect(counts(branch)).toEqual({ ticks: 2, pokes: 0, otherPokes: 0 })
    advance(1)
    expect(counts(branch)).toEqual({ ticks: 2, pokes: 1, otherPokes: 0 })
    advance(5000)
    expect(counts(branch)).toEqual({ ticks: 2, pokes: 1, otherPokes: 0 })
  })
})

// A crashed `callAll` batch goes back to the state before it: a child the batch
// spawned is not in that state, so the delayed events between it and the worker
// have no actor to come from or go to in the next incarnation.

type SpawnerEvent = { type: 'spawn' } | { type: 'boom' } | { type: 'tick' } | { type: 'get' }

const spawner = setup({
  types: { context: {} as { ticks: number }, events: {} as SpawnerEvent },
  actors: { ticker }
}).createMachine({
  context: { ticks: 0 },
  on: {
    spawn: { actions: [spawnChild('ticker', { id: 'ticker' }), sendTo('ticker', { type: 'poke' }, { delay: 1000 })] },
    boom: {
      actions: () => {
        throw new Error('boom')
      }
    },
    tick: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) }
  }
})

describe('delayed events of a child the restored state does not have', () => {
  it('are dropped: the worker restarts once, without the child, and nothing fires', async () => {
    const branch = await startBranch({ logic: spawner, clock })
    started.push(branch)
    const restarts: number[] = []
    branch.on('restart', (report) => restarts.push(report.incarnation))
    await expect(callAll(branch, [{ type: 'spawn' }, { type: 'boom' }])).rejects.toThrow()
    expect(restarts).toEqual([2])
    expect(Object.keys(branch.worker()?.getSnapshot().children ?? {})).toEqual([])
    advance(5000)
    expect(restarts).toEqual([2])
    expect(await call(branch, { type: 'get' })).toEqual({ ticks: 0 })
  })
})
