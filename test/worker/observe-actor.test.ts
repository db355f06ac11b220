import { describe, expect, it } from 'vitest'
import { assign, fromTransition, setup, type AnyActorRef } from 'xstate'
import { call, cast, startBranch, WorkerCrashedError, type AnyBranch, type StopReason } from '../../src/index'
import { openedForEach } from '../support/cleanup'

// The worker puts itself in its actor's set of observers (not through `subscribe`, which would
// wrap it in three bound functions per actor): what xstate reports through that set (each state,
// a failure, the end) must still reach the branch. This file runs against the xstate floor too.

const { open } = openedForEach<AnyBranch>()

const machine = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'boom' } | { type: 'finish' } }
}).createMachine({
  context: { count: 0 },
  initial: 'on',
  states: {
    on: {
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        boom: {
          actions: () => {
            throw new Error('action threw')
          }
        },
        finish: 'off'
      }
    },
    off: { type: 'final' }
  },
  output: ({ context }) => context.count
})

const reducer = fromTransition((count: number, event: { type: 'inc' } | { type: 'boom' }) => {
  if (event.type === 'boom') throw new Error('reducer threw')
  return count + 1
}, 0)

/** xstate's observers of `actor` (a private field of its actors). */
function observersOf(actor: AnyActorRef | undefined): Set<unknown> {
  return (actor as unknown as { observers: Set<unknown> }).observers
}

describe('the worker observes its actor directly', () => {
  it('is the one observer of its actor, no wrapper around it', async () => {
    const branch = await open(startBranch({ logic: machine }))
    const observers = [...observersOf(branch.worker())]
    expect(observers).toHaveLength(1)
    // subscribe() would have added a plain object of bound functions.
    expect(Object.getPrototypeOf(observers[0])).not.toBe(Object.prototype)
  })

  it.each([
    ['machine', machine],
    ['reducer', reducer]
  ] as const)('hears each state, and a failure, of a %s (the state kept, the worker restarted)', async (_, logic) => {
    const branch = await open(startBranch({ logic: logic as typeof reducer }))
    const crashes: unknown[] = []
    branch.on('crash', (report) => crashes.push(report.error))
    cast(branch, { type: 'inc' })
    const first = branch.worker()
    await expect(call(branch, { type: 'boom' })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(crashes).toHaveLength(1)
    expect((crashes[0] as Error).message).toMatch(/threw/)
    expect(branch.worker()).not.toBe(first)
    expect(branch.status).toBe('running')
    const state = branch.state() as number | { count: number }
    expect(typeof state === 'number' ? state : state.count).toBe(1)
    // The new incarnation is observed the same way: its states are kept.
    cast(branch, { type: 'inc' })
    const after = branch.state() as number | { count: number }
    expect(typeof after === 'number' ? after : after.count).toBe(2)
    expect(observersOf(branch.worker()).size).toBe(1)
  })

  it('hears the end: a final state stops the branch normally, with the output', async () => {
    const branch = await open(startBranch({ logic: machine }))
    const stopped = new Promise<StopReason>((resolve) => branch.once('stop', resolve))
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'finish' })
    expect(await stopped).toEqual({ kind: 'normal', output: 1 })
    expect(branch.status).toBe('stopped')
  })

  it('hears nothing more from a worker let go: a retired actor reports no crash', async () => {
    const branch = await open(startBranch({ logic: machine }))
    const actor = branch.worker() as AnyActorRef
    const crashes: unknown[] = []
    branch.on('crash', (report) => crashes.push(report))
    branch.kill()
    expect(crashes).toHaveLength(1)
    // The old actor is stopped: xstate dropped its observers, the worker among them.
    expect(observersOf(actor).size).toBe(0)
    expect(branch.worker()).not.toBe(actor)
  })
})
