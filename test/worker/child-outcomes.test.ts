import { describe, expect, it } from 'vitest'
import { assign, fromPromise, setup } from 'xstate'
import { call, cast, reply, startBranch, type AnyBranch, type Replies } from '../../src/index'
import { openedForEach } from '../support/cleanup'
import { deferred, next } from '../support/deferred'

// What a worker remembers of its children across restarts: an outcome (a
// child's done or error event) the kept state processed is never delivered
// again; one it did not is, however many incarnations it takes. Each case
// here crosses a restart the other tests don't: a kill while the child runs,
// (a second crash on the same outcome, and a done outcome kept with the child: invoked-actors.test.ts).

const { open: start } = openedForEach<AnyBranch>()

describe('child outcomes across several restarts', () => {
  it('a promise restarted by a kill, whose output then crashes the worker, runs a third time and its output is kept', async () => {
    const gate = deferred<void>()
    const device = { runs: 0, handlerFailures: 1 }
    const logic = setup({
      types: { context: {} as { reading: number | null }, events: {} as { type: 'load' } | ({ type: 'get' } & Replies<number | null>) },
      actors: {
        read: fromPromise(async ({ input }: { input: { at: number } }) => {
          const run = ++device.runs
          await gate.promise
          return input.at + run
        })
      }
    }).createMachine({
      context: { reading: null },
      initial: 'idle',
      on: { get: { actions: reply(({ context }) => context.reading) } },
      states: {
        idle: { on: { load: 'loading' } },
        loading: {
          invoke: {
            src: 'read',
            input: { at: 100 },
            onDone: {
              target: 'ready',
              actions: [
                () => {
                  if (device.handlerFailures-- > 0) throw new Error('handler failed')
                },
                assign({ reading: ({ event }) => event.output })
              ]
            }
          }
        },
        ready: {}
      }
    })
    const branch = await start(startBranch({ logic }))
    cast(branch, { type: 'load' })
    expect(device.runs).toBe(1)
    branch.kill()
    // Restored running: the promise runs again from its input.
    expect(device.runs).toBe(2)
    const restarted = next(branch, 'restart')
    const kept = new Promise((resolve) => branch.on('state', (state) => (state as { reading: unknown }).reading !== null && resolve(state)))
    gate.resolve()
    await restarted
    // Its output crashed the handler: the restarted worker runs it a third time.
    expect(device.runs).toBe(3)
    expect(await kept).toEqual({ reading: 103 })
    expect(await call(branch, { type: 'get' })).toBe(103)
  })
})
