import { describe, expect, it } from 'vitest'
import { assign, fromPromise, fromTransition, setup } from 'xstate'
import { BranchStartError, call, cast, MemoryStore, reply, StoreUnavailableError, RestartIntensityExceeded, startBranch, whereis, WorkerCrashedError, type AnyBranch, type Replies, type StopReason } from '../../src/index'
import { counterMachine, counterReducer } from '../support/logics'
import { openedForEach } from '../support/cleanup'

// Peeper's own test suite, translated case by case where it applies to xstate workers.

const { open: start } = openedForEach<AnyBranch>()

/** A machine with one way to crash per event type, and `get` replying the count. */
const crashing = setup({
  types: {
    context: {} as { count: number },
    events: {} as
      | { type: 'inc' }
      | ({ type: 'get' } & Replies<number>)
      | { type: 'throwInAction' }
      | { type: 'throwInGuard' }
      | { type: 'throwInAssign' }
      | { type: 'failChild' }
  },
  actors: {
    failing: fromPromise(async () => {
      throw new Error('invoked actor failed')
    })
  },
  guards: {
    explodes: () => {
      throw new Error('guard threw')
    }
  }
}).createMachine({
  context: { count: 0 },
  initial: 'idle',
  on: {
    inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
    get: { actions: reply(({ context }) => context.count) },
    throwInAction: {
      actions: () => {
        throw new Error('action threw')
      }
    },
    throwInGuard: { guard: 'explodes', actions: assign({ count: 999 }) },
    throwInAssign: {
      actions: assign({
        count: () => {
          throw new Error('assign threw')
        }
      })
    }
  },
  states: {
    idle: { on: { failChild: 'waiting' } },
    // No onError: the invoked actor's failure is unhandled, so the worker errors.
    waiting: { invoke: { src: 'failing' } }
  }
})

describe('crashes of every kind keep the state', () => {
  it.each(['throwInAction', 'throwInGuard', 'throwInAssign'] as const)(
    'a message that hits %s rejects its call and leaves the count as it was',
    async (type) => {
      const branch = await start(startBranch({ logic: crashing }))
      cast(branch, { type: 'inc' })
      cast(branch, { type: 'inc' })
      const error = await call(branch, { type }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(WorkerCrashedError)
      expect((error as Error).cause).toBeInstanceOf(Error)
      expect(await call(branch, { type: 'get' })).toBe(2)
      expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
    }
  )

  it('an unhandled error of an invoked actor crashes the worker, which comes back with the state and the invoke running again', async () => {
    const branch = await start(startBranch({ logic: crashing, intensity: { maxRestarts: 2 } }))
    cast(branch, { type: 'inc' })
    const stopped = new Promise<StopReason>((resolve) => branch.once('stop', resolve))
    const crash = new Promise<{ error: unknown }>((resolve) => branch.once('crash', resolve))
    cast(branch, { type: 'failChild' })
    expect(((await crash).error as Error).message).toBe('invoked actor failed')
    // The kept state is `waiting` with its invoke: it runs (and fails) again each time, bounded by the intensity.
    const reason = await stopped
    expect(reason).toMatchObject({ kind: 'failure', error: expect.any(RestartIntensityExceeded) })
    expect(branch.children()[1]).toMatchObject({ incarnation: 3, restarts: 3 })
    expect(branch.state()).toEqual({ count: 1 })
  })

  it('survives 5 rapid kills in a row', async () => {
    const branch = await start(startBranch({ logic: counterReducer }))
    cast(branch, { type: 'inc', by: 7 })
    const workers = new Set([branch.worker()])
    for (let i = 0; i < 5; i++) {
      branch.kill()
      workers.add(branch.worker())
    }
    expect(workers.size).toBe(6)
    expect(await call(branch, { type: 'get' })).toBe(7)
  })

  it('50 cycles of inc-then-kill end at 50, with a new worker each time', async () => {
    const branch = await start(startBranch({ logic: counterMachine }))
    const workers = new Set<unknown>()
    for (let i = 0; i < 50; i++) {
      cast(branch, { type: 'inc' })
      workers.add(branch.worker())
      branch.kill()
    }
    workers.add(branch.worker())
    expect(workers.size).toBe(51)
    expect(await call(branch, { type: 'get' })).toBe(50)
    expect(branch.children()[1]).toMatchObject({ incarnation: 51, restarts: 50 })
  })

  it('20 concurrent callers casting 5 each reach 100 and keep it after a kill', async () => {
    const branch = await start(startBranch({ logic: counterReducer }))
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 5; i++) {
          cast(branch, { type: 'inc' })
          await Promise.resolve()
        }
      })
    )
    expect(await call(branch, { type: 'get' })).toBe(100)
    branch.kill()
    expect(await call(branch, { type: 'get' })).toBe(100)
  })

  it.each([
    ['null', null],
    ['an empty object', {}],
    ['an empty array', []],
    ['a 10,000-element array', Array.from({ length: 10_000 }, (_, i) => ({ i }))]
  ])('a state of %s survives a kill', async (_, initial) => {
    const keep = fromTransition((state: unknown) => state, initial as unknown)
    const branch = await start(startBranch({ logic: keep }))
    branch.kill()
    expect(await call(branch, { type: 'get' })).toEqual(initial)
  })

  it('unexpected messages the logic does not handle do no harm', async () => {
    const branch = await start(startBranch({ logic: crashing }))
    cast(branch, { type: 'inc' })
    const untyped = branch as unknown as AnyBranch
    cast(untyped, { type: 'whatever', payload: [1, 2, 3] })
    expect(await call(untyped, { type: 'nobody-handles-this' })).toEqual({ count: 1 })
    expect(branch.children()[1]).toMatchObject({ incarnation: 1, restarts: 0 })
    expect(await call(branch, { type: 'get' })).toBe(1)
  })
})

describe('a dead worker', () => {
  it('that throws while being stopped does not take the process down', async () => {
    const strict = fromTransition((n: number, e: { type: string }) => {
      if (e.type !== 'inc' && e.type !== 'get') throw new Error(`unexpected ${e.type}`)
      return e.type === 'inc' ? n + 1 : n
    }, 0)
    const branch = await start(startBranch({ logic: strict }))
    cast(branch, { type: 'inc' })
    branch.kill() // xstate hands the reducer its stop event, which it rejects
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('can no longer change the state: its actor is stopped and the keeper ignores it', async () => {
    const branch = await start(startBranch({ logic: counterReducer }))
    cast(branch, { type: 'inc' })
    const dead = branch.worker()!
    branch.kill()
    dead.send({ type: 'inc' })
    expect(dead.getSnapshot().context).toBe(1)
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('that kills its own branch from inside an action is replaced; the message in flight is rejected', async () => {
    const selfKilling = fromTransition((n: number, e: { type: 'inc' } | { type: 'suicide' }) => {
      if (e.type === 'suicide') whereis('self-killer')?.kill(new Error('by its own hand'))
      return n + 1
    }, 0)
    const branch = await start(startBranch({ logic: selfKilling, name: 'self-killer' }))
    cast(branch, { type: 'inc' })
    await expect(call(branch, { type: 'suicide' })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await call(branch, { type: 'inc' })).toBe(2)
  })
})

describe('a worker that crashes as the branch starts', () => {
  it('fails the start with BranchStartError, caused by what it threw; nothing is left running or named', async () => {
    const broken = new Error('no initial state')
    const machine = setup({}).createMachine({
      context: () => {
        throw broken
      }
    })
    const error = await startBranch({ logic: machine, name: 'never-started' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BranchStartError)
    expect((error as BranchStartError).cause).toBe(broken)
    expect((error as Error).message).toContain('"never-started"')
    expect(whereis('never-started')).toBeUndefined()
  })
})

describe('a durable branch whose first write fails', () => {
  it("fails the start with the store's error, ends as a failed start (BranchStartError) and frees its name", async () => {
    const refused = new StoreUnavailableError('RefusingStore', 'saveSnapshot', new Error('disk full'))
    class RefusingStore extends MemoryStore {
      override async saveSnapshot(): Promise<boolean> {
        throw refused
      }
    }
    const ended: StopReason[] = []
    const error = await startBranch({
      logic: counterReducer,
      name: 'refused-start',
      durable: { store: new RefusingStore(), id: 'refused-start' },
      listener: { onTerminate: (reason) => ended.push(reason) }
    }).catch((e: unknown) => e)
    expect(error).toBe(refused)
    expect(ended).toEqual([{ kind: 'failure', error: expect.any(BranchStartError) }])
    expect((ended[0] as { error: unknown } | undefined)?.error).toMatchObject({ cause: refused })
    expect(whereis('refused-start')).toBeUndefined()
  })
})
