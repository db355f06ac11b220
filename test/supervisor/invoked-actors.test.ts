import { describe, expect, it } from 'vitest'
import { assign, createActor, fromCallback, fromPromise, sendTo, setup, type ActorRefFrom } from 'xstate'
import { call, cast, reply, RestartIntensityExceeded, startBranch, type AnyBranch, type Replies, type StopReason } from '../../src/index'
import { openedForEach } from '../support/cleanup'
import { deferred } from '../support/deferred'

// A worker comes back with its invoked actors as its kept state had them, as
// xstate's own rehydration does: a persisted snapshot taken in `loading`,
// restored, runs its invoke again. Named for xstate's persistence cases.

const { open: start } = openedForEach<AnyBranch>()

/** A device read that fails while `device.failures` is above 0; `runs` counts the reads. */
function deviceMachine(device: { failures: number; runs: number; throwOnDone?: number }) {
  return setup({
    types: { context: {} as { reading: number | null }, events: {} as { type: 'load' } | ({ type: 'get' } & Replies<number | null>) },
    actors: {
      read: fromPromise(async ({ input }: { input: { at: number } }) => {
        device.runs++
        if (device.failures > 0) {
          device.failures--
          throw new Error('device not ready')
        }
        return input.at + device.runs
      })
    }
  }).createMachine({
    context: { reading: null },
    initial: 'idle',
    on: { get: { actions: reply(({ context }) => context.reading) } },
    states: {
      idle: { on: { load: 'loading' } },
      // No onError: a failed read is a crash of the worker (a flaky device).
      loading: {
        invoke: {
          src: 'read',
          input: { at: 100 },
          onDone: {
            target: 'ready',
            actions: [
              () => {
                if ((device.throwOnDone ?? 0) > 0) {
                  device.throwOnDone = (device.throwOnDone ?? 0) - 1
                  throw new Error('handler failed')
                }
              },
              assign({ reading: ({ event }) => event.output })
            ]
          }
        }
      },
      ready: {}
    }
  })
}

function stateValue(branch: AnyBranch): unknown {
  return (branch.worker()?.getSnapshot() as { value?: unknown } | undefined)?.value
}

/** Resolves once the branch's kept reading is set. */
function readingKept(branch: AnyBranch): Promise<unknown> {
  return new Promise((resolve) => branch.on('state', (next) => (next as { reading: unknown }).reading !== null && resolve(next)))
}

describe('invoked actors across a crash (xstate persistence: restoring a snapshot re-runs its active invoke)', () => {
  it('plain xstate: a snapshot persisted in loading, restored, runs the promise again', async () => {
    const device = { failures: 0, runs: 0 }
    const logic = deviceMachine(device)
    const first = createActor(logic).start()
    first.send({ type: 'load' })
    const persisted = first.getPersistedSnapshot()
    first.stop()
    const restored = createActor(logic, { snapshot: persisted }).start()
    await new Promise<void>((resolve) => restored.subscribe((s) => s.matches('ready') && resolve()))
    expect(device.runs).toBe(2)
    restored.stop()
  })

  it('a flaky device: the promise that rejected in loading runs again after the restart, until it resolves', async () => {
    const device = { failures: 2, runs: 0 }
    const branch = await start(startBranch({ logic: deviceMachine(device) }))
    const kept = readingKept(branch)
    cast(branch, { type: 'load' })
    expect(await kept).toEqual({ reading: 103 })
    expect(stateValue(branch)).toBe('ready')
    expect(device.runs).toBe(3)
    expect(branch.children()[1]).toMatchObject({ incarnation: 3, restarts: 2 })
    expect(await call(branch, { type: 'get' })).toBe(103)
  })

  it('a device that keeps failing is bounded by the restart intensity, never left stuck in loading', async () => {
    const device = { failures: Infinity, runs: 0 }
    const branch = await start(startBranch({ logic: deviceMachine(device), intensity: { maxRestarts: 3, maxSeconds: 60 } }))
    const stopped = new Promise<StopReason>((resolve) => branch.once('stop', resolve))
    cast(branch, { type: 'load' })
    expect(await stopped).toMatchObject({ kind: 'failure', error: expect.any(RestartIntensityExceeded) })
    expect(device.runs).toBe(4)
  })

  it('a callback child that throws as it is restarted crashes each incarnation again until the intensity ends the branch, never left failed and unreported', async () => {
    // It runs at the first start; every later start throws (as a device that went away would).
    const device = { starts: 0 }
    const child = fromCallback(() => {
      device.starts++
      if (device.starts > 1) throw new Error('device gone')
      return () => {}
    })
    const logic = setup({ types: { events: {} as { type: 'boom' } }, actors: { child } }).createMachine({
      invoke: { src: 'child', id: 'device' },
      on: {
        boom: {
          actions: () => {
            throw new Error('boom')
          }
        }
      }
    })
    const branch = await start(startBranch({ logic, intensity: { maxRestarts: 2, maxSeconds: 60 } }))
    const stopped = new Promise<StopReason>((resolve) => branch.once('stop', resolve))
    const crashes: string[] = []
    branch.on('crash', ({ error }) => crashes.push((error as Error).message))
    cast(branch, { type: 'boom' })
    // The second incarnation's child fails as it starts; so must the third's (it was restored failed, not started).
    expect(await stopped).toMatchObject({ kind: 'failure', error: expect.any(RestartIntensityExceeded) })
    expect(crashes).toEqual(['boom', 'device gone', 'device gone'])
    expect(device.starts).toBe(3)
  })

  it('a promise that resolved, whose onDone handler crashed the worker, runs again and its output is processed once', async () => {
    const device = { failures: 0, runs: 0, throwOnDone: 1 }
    const branch = await start(startBranch({ logic: deviceMachine(device) }))
    const kept = readingKept(branch)
    cast(branch, { type: 'load' })
    expect(await kept).toEqual({ reading: 102 })
    expect(device.runs).toBe(2)
    expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
  })

  // Both outcomes: the handled child stays in the snapshot, finished, and is not started again.
  it.each(['error', 'done'] as const)('an outcome (%s) the kept state already handled is not run again by a later crash', async (outcome) => {
    let runs = 0
    const gate = deferred<void>()
    const logic = setup({
      types: { context: {} as { handled: number }, events: {} as { type: 'crash' } | ({ type: 'get' } & Replies<number>) },
      actors: {
        once: fromPromise(async () => {
          runs++
          await gate.promise
          if (outcome === 'error') throw new Error('once')
          return 'out'
        })
      }
    }).createMachine({
      context: { handled: 0 },
      // The outcome is handled without leaving the state: the finished child stays in the snapshot.
      invoke: {
        src: 'once',
        id: 'probe',
        onDone: { actions: assign({ handled: ({ context }) => context.handled + 1 }) },
        onError: { actions: assign({ handled: ({ context }) => context.handled + 1 }) }
      },
      on: {
        get: { actions: reply(({ context }) => context.handled) },
        crash: {
          actions: () => {
            throw new Error('unrelated crash')
          }
        }
      }
    })
    const branch = await start(startBranch({ logic }))
    const handled = new Promise((resolve) => branch.on('state', resolve))
    gate.resolve()
    await handled
    expect(Object.keys(branch.worker()?.getSnapshot().children ?? {})).toEqual(['probe'])
    expect(runs).toBe(1)
    await call(branch, { type: 'crash' }).catch(() => {})
    await call(branch, { type: 'crash' }).catch(() => {})
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(runs).toBe(1)
  })

  // Twice: each restart must deliver the outcome again, not only the first (child-outcomes.test.ts, issue 15).
  it.each([1, 2])('a machine child that finished, whose output crashed the worker %i time(s), delivers its output again', async (failures) => {
    let handlerFailures = failures
    const child = setup({ types: { events: {} as { type: 'finish' } } }).createMachine({
      initial: 'working',
      states: { working: { on: { finish: 'finished' } }, finished: { type: 'final' } },
      output: { answer: 42 }
    })
    const parent = setup({
      types: { context: {} as { answer: number | null }, events: {} as { type: 'finish' } | ({ type: 'get' } & Replies<number | null>) },
      actors: { child }
    }).createMachine({
      context: { answer: null },
      on: { get: { actions: reply(({ context }) => context.answer) } },
      initial: 'waiting',
      states: {
        waiting: {
          invoke: {
            src: 'child',
            id: 'job',
            onDone: {
              target: 'done',
              actions: [
                () => {
                  if (handlerFailures-- > 0) throw new Error('handler failed')
                },
                assign({ answer: ({ event }) => (event.output as { answer: number }).answer })
              ]
            }
          },
          on: { finish: { actions: sendTo('job', { type: 'finish' }) } }
        },
        done: {}
      }
    })
    const branch = await start(startBranch({ logic: parent, intensity: { maxRestarts: 5, maxSeconds: 60 } }))
    // A worker that dies as it starts emits no 'restart': the one heard is the incarnation that lived.
    const restarted = deferred<void>()
    branch.once('restart', () => restarted.resolve())
    cast(branch, { type: 'finish' })
    await restarted.promise
    expect(await call(branch, { type: 'get' })).toBe(42)
    expect(stateValue(branch)).toBe('done')
    expect(handlerFailures).toBe(-1)
    expect(branch.children()[1]).toMatchObject({ incarnation: failures + 1, restarts: failures })
  })

  it('a machine child that failed resumes its own last good state', async () => {
    const child = setup({ types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'boom' } } }).createMachine({
      context: { count: 0 },
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        boom: {
          actions: () => {
            throw new Error('child failed')
          }
        }
      }
    })
    const parent = setup({
      types: {
        events: {} as { type: 'inc' } | { type: 'boom' } | ({ type: 'get' } & Replies<{ status: string; count: number }>)
      },
      actors: { child }
    }).createMachine({
      invoke: { src: 'child', id: 'counter' },
      on: {
        inc: { actions: sendTo('counter', { type: 'inc' }) },
        boom: { actions: sendTo('counter', { type: 'boom' }) },
        get: {
          actions: reply(({ self }) => {
            const counter = self.getSnapshot().children.counter as ActorRefFrom<typeof child>
            return { status: counter.getSnapshot().status, count: counter.getSnapshot().context.count }
          })
        }
      }
    })
    const branch = await start(startBranch({ logic: parent }))
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'inc' })
    const restarted = deferred<void>()
    branch.once('restart', () => restarted.resolve())
    cast(branch, { type: 'boom' })
    await restarted.promise
    expect(await call(branch, { type: 'get' })).toEqual({ status: 'active', count: 2 })
    cast(branch, { type: 'inc' })
    expect(await call(branch, { type: 'get' })).toEqual({ status: 'active', count: 3 })
  })
})
