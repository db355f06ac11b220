import { describe, expect, it } from 'vitest'
import { assign, fromTransition, sendTo, setup, spawnChild, type AnyActorRef } from 'xstate'
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

describe('a child that is not a machine, failed before the kept state saw it', () => {
  it('runs again from its first state, not from a later one the worker saw when other children came', async () => {
    const tally = fromTransition((n: number, event: { type: 'inc' } | { type: 'boom' }) => {
      if (event.type === 'boom') throw new Error('tally failed')
      return n + 1
    }, 0)
    const logic = setup({
      types: { events: {} as { type: 'inc' } | { type: 'boom' } | { type: 'more' } },
      actors: { tally, other: fromTransition((n: number) => n, 0) }
    }).createMachine({
      invoke: { src: 'tally', id: 'tally' },
      on: {
        inc: { actions: sendTo('tally', { type: 'inc' }) },
        boom: { actions: sendTo('tally', { type: 'boom' }) },
        // Another child comes: the worker looks through its children again.
        more: { actions: spawnChild('other', { id: 'other' }) }
      }
    })
    const branch = await start(startBranch({ logic }))
    await call(branch, { type: 'inc' })
    await call(branch, { type: 'inc' })
    await call(branch, { type: 'more' })
    const tallyNow = () => (branch.worker()?.getSnapshot().children as Record<string, AnyActorRef>).tally?.getSnapshot()
    expect(tallyNow()?.context).toBe(2)
    const restarted = new Promise((resolve) => branch.on('restart', resolve))
    await call(branch, { type: 'boom' }).catch(() => {})
    await restarted
    expect(tallyNow()).toMatchObject({ status: 'active', context: 0 })
  })
})

describe('a child finished from the start', () => {
  it("whose output crashed the first incarnation's handling is delivered again: a first start marks no outcome as seen", async () => {
    let failures = 1
    const instant = setup({}).createMachine({ initial: 'over', states: { over: { type: 'final' } }, output: () => 'out' })
    const logic = setup({ types: { context: {} as { handled: number }, events: {} as { type: 'get' } & Replies<number> }, actors: { instant } }).createMachine({
      context: { handled: 0 },
      invoke: {
        src: 'instant',
        id: 'instant',
        onDone: {
          actions: [
            () => {
              if (failures-- > 0) throw new Error('handler failed')
            },
            assign({ handled: ({ context }) => context.handled + 1 })
          ]
        }
      },
      on: { get: { actions: reply(({ context }) => context.handled) } }
    })
    const branch = await start(startBranch({ logic }))
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
  })
})
