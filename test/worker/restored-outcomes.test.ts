import { describe, expect, it } from 'vitest'
import { assign, setup, type AnyActorRef } from 'xstate'
import { call, reply, startBranch, type AnyBranch, type Replies } from '../../src/index'
import { openedForEach } from '../support/cleanup'

// A machine child whose outcome (done or error) the kept state handled comes back finished with
// every later incarnation: its output is not delivered again, a failed one is not made to run
// again, however many restarts follow (a restored incarnation knows its finished children were
// seen, though it never saw their outcome itself).

const { open: start } = openedForEach<AnyBranch>()

function parentOf(outcome: 'done' | 'error') {
  const child = setup({ types: { events: {} as { type: 'go' } } }).createMachine({
    initial: 'waiting',
    states: {
      waiting: {
        on: {
          go: outcome === 'done' ? 'finished' : {
            actions: () => {
              throw new Error('child failed')
            }
          }
        }
      },
      finished: { type: 'final' }
    },
    output: () => 'out'
  })
  return setup({
    types: { context: {} as { handled: number }, events: {} as { type: 'go' } | { type: 'crash' } | ({ type: 'get' } & Replies<number>) },
    actors: { child }
  }).createMachine({
    context: { handled: 0 },
    // The outcome is handled without leaving the state: the finished child stays in the snapshot.
    invoke: {
      src: 'child',
      id: 'probe',
      onDone: { actions: assign({ handled: ({ context }) => context.handled + 1 }) },
      onError: { actions: assign({ handled: ({ context }) => context.handled + 1 }) }
    },
    on: {
      go: { actions: ({ self }) => (self.getSnapshot().children.probe as AnyActorRef).send({ type: 'go' }) },
      get: { actions: reply(({ context }) => context.handled) },
      crash: {
        actions: () => {
          throw new Error('unrelated crash')
        }
      }
    }
  })
}

const probeStatus = (branch: AnyBranch) => (branch.worker()?.getSnapshot().children as Record<string, AnyActorRef>).probe?.getSnapshot().status

describe('a machine child whose outcome the kept state handled', () => {
  it.each(['done', 'error'] as const)('%s: stays finished and handled once across three restarts', async (outcome) => {
    const branch = await start(startBranch({ logic: parentOf(outcome) }))
    await call(branch, { type: 'go' }).catch(() => {})
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(probeStatus(branch)).toBe(outcome)
    for (let i = 0; i < 3; i++) {
      await call(branch, { type: 'crash' }).catch(() => {})
      expect(await call(branch, { type: 'get' })).toBe(1)
      expect(probeStatus(branch)).toBe(outcome)
    }
    expect(branch.children()[1]).toMatchObject({ restarts: 3 })
  })
})
