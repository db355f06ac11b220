import { describe, expect, it } from 'vitest'
import { assign, emit, fromTransition, setup, type AnyActorLogic, type EventObject } from 'xstate'
import type { Clock } from '../../src/shared/clock'
import { table } from '../../src/worker/tables'
import { Worker, type WorkerHooks } from '../../src/worker/Worker'

// One incarnation of a worker, on its own: what it reports through its hooks (each state with
// the event that made it, a crash, a normal exit, what the logic emits), what it says of itself
// (in a transition, pending work, output), and that once disposed of it reports nothing more.

/** A clock whose timers fire only when told. */
function manualClock(): Clock & { fire(): void } {
  let timers: Array<{ fn: () => void; id: number }> = []
  let next = 0
  return {
    now: () => 0,
    setTimeout: (fn) => (timers.push({ fn, id: ++next }), next),
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id)
    },
    fire() {
      const due = timers
      timers = []
      for (const t of due) t.fn()
    }
  }
}

/** Whether the worker's actor is stopped: an event sent to it changes nothing. */
function stopped(w: Worker): boolean {
  const before = w.actor.getSnapshot()
  w.actor.send({ type: 'probe' })
  return w.actor.getSnapshot() === before
}

type Report = ['snapshot', unknown, string | undefined] | ['crash', unknown] | ['done'] | ['emitted', string]

/** A worker of `logic` from its initial state, its reports recorded. */
function worker(logic: AnyActorLogic, options: { input?: unknown; emitted?: boolean; clock?: Clock } = {}) {
  const reports: Report[] = []
  const tables = new Map<string, Map<unknown, unknown>>()
  const hooks: WorkerHooks = {
    snapshot: (s, event) => reports.push(['snapshot', (s as { context?: unknown }).context, event?.type]),
    crash: (error) => reports.push(['crash', error]),
    done: () => reports.push(['done'])
  }
  if (options.emitted) hooks.emitted = (event) => reports.push(['emitted', event.type])
  const provider = { table: (name: string) => tables.get(name) ?? (tables.set(name, new Map()), tables.get(name)!) }
  const w = new Worker(logic, { kind: 'initial', input: options.input }, hooks, { clock: options.clock ?? manualClock(), tables: provider })
  return { w, reports, tables }
}

type Ev = { type: 'inc' } | { type: 'finish' } | { type: 'boom' } | { type: 'beep' } | { type: 'wait' } | { type: 'peek' }
const machine = setup({
  types: { context: {} as { count: number; seenInTransition?: boolean }, events: {} as Ev, input: {} as { from: number } | undefined, emitted: {} as { type: 'beeped' } }
}).createMachine({
  context: ({ input }) => ({ count: input?.from ?? 0 }),
  initial: 'on',
  states: {
    on: {
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        beep: { actions: emit({ type: 'beeped' }) },
        wait: 'waiting',
        finish: 'over',
        boom: {
          actions: () => {
            throw new Error('boom')
          }
        }
      }
    },
    waiting: { after: { 1000: 'on' } },
    over: { type: 'final' }
  },
  output: ({ context }) => ({ final: context.count })
})

describe('a worker reports through its hooks', () => {
  it('each state with the event that made it: none for the initial state', () => {
    const { w, reports } = worker(machine)
    w.start()
    w.deliver({ type: 'inc' })
    w.deliver({ type: 'inc' })
    expect(reports).toEqual([
      ['snapshot', { count: 0 }, undefined],
      ['snapshot', { count: 1 }, 'inc'],
      ['snapshot', { count: 2 }, 'inc']
    ])
  })

  it('each state of a logic that has no children (a transition logic)', () => {
    const { w, reports } = worker(fromTransition((n: number, _e: EventObject) => n + 1, 0))
    w.start()
    w.deliver({ type: 'any' })
    // An event named like a child's outcome: a logic without children has none to look up.
    w.deliver({ type: 'xstate.done.actor.x' })
    expect(reports).toEqual([
      ['snapshot', 0, undefined],
      ['snapshot', 1, 'any'],
      ['snapshot', 2, 'xstate.done.actor.x']
    ])
  })

  it("gives xstate's inspection observer the actor's events", () => {
    const inspected: string[] = []
    const tables = { table: () => new Map() }
    const w = new Worker(machine, { kind: 'initial', input: undefined }, { snapshot: () => {}, crash: () => {}, done: () => {} }, { clock: manualClock(), tables, inspect: (e) => inspected.push(e.type) })
    w.start()
    w.deliver({ type: 'inc' })
    expect(inspected).toContain('@xstate.event')
    expect(inspected).toContain('@xstate.snapshot')
  })

  it('starts a first incarnation from its input', () => {
    const { w, reports } = worker(machine, { input: { from: 40 } })
    w.start()
    expect(reports).toEqual([['snapshot', { count: 40 }, undefined]])
  })

  it('a throw while processing is a crash, with what was thrown', () => {
    const { w, reports } = worker(machine)
    w.start()
    w.deliver({ type: 'boom' })
    expect(reports.at(-1)).toEqual(['crash', expect.objectContaining({ message: 'boom' })])
    expect(reports.filter(([kind]) => kind === 'crash')).toHaveLength(1)
  })

  it('a final state is a normal exit, with the logic\'s output; a stop is not', () => {
    const finished = worker(machine)
    finished.w.start()
    finished.w.deliver({ type: 'inc' })
    finished.w.deliver({ type: 'finish' })
    expect(finished.reports.at(-1)).toEqual(['done'])
    expect(finished.w.output).toEqual({ final: 1 })

    const stopped = worker(machine)
    stopped.w.start()
    stopped.w.actor.stop()
    expect(stopped.reports.map(([kind]) => kind)).toEqual(['snapshot'])
    expect(stopped.w.output).toBeUndefined()
  })

  it('what the logic emits reaches hooks.emitted once forwarding is on, not before', () => {
    const { w, reports } = worker(machine, { emitted: true })
    w.start()
    w.deliver({ type: 'beep' })
    expect(reports.filter(([kind]) => kind === 'emitted')).toEqual([])
    w.forwardEmitted()
    w.deliver({ type: 'beep' })
    expect(reports.filter(([kind]) => kind === 'emitted')).toEqual([['emitted', 'beeped']])
  })

  it('forwarding what is emitted is harmless when the hooks take no emitted events', () => {
    const { w, reports } = worker(machine)
    w.start()
    w.forwardEmitted()
    w.deliver({ type: 'beep' })
    expect(reports.map(([kind]) => kind)).toEqual(['snapshot', 'snapshot'])
  })
})

describe('what a worker says of itself', () => {
  it('is in a transition only while the logic computes one', () => {
    let during: boolean | undefined
    const peeking = fromTransition((n: number, _e: EventObject) => {
      during = current.inTransition
      return n + 1
    }, 0)
    const { w } = worker(peeking)
    const current = w
    w.start()
    expect(w.inTransition).toBe(false)
    w.deliver({ type: 'any' })
    expect(during).toBe(true)
    expect(w.inTransition).toBe(false)
  })

  it('is in a transition no more once one threw', () => {
    const throwing = fromTransition((): number => {
      throw new Error('no')
    }, 0)
    const { w, reports } = worker(throwing)
    w.start()
    w.deliver({ type: 'any' })
    expect(reports.at(-1)?.[0]).toBe('crash')
    expect(w.inTransition).toBe(false)
  })

  it('runs here: not remote, nothing to wait for, no delivery applied ahead', () => {
    const { w } = worker(machine)
    w.start()
    expect(w.remote).toBe(false)
    expect(w.ready).toBeUndefined()
    expect(w.deliveryApplied).toBe(false)
  })

  it('has pending work exactly while a delayed event is pending', () => {
    const clock = manualClock()
    const { w } = worker(machine, { clock })
    w.start()
    expect(w.hasPendingWork()).toBe(false)
    w.deliver({ type: 'wait' })
    expect(w.hasPendingWork()).toBe(true)
    clock.fire()
    expect(w.hasPendingWork()).toBe(false)
    expect((w.actor.getSnapshot() as { value: unknown }).value).toBe('on')
  })
})

describe('a worker disposed of', () => {
  it('stops its actor at once and unbinds its tables', () => {
    let seen: Map<unknown, unknown> | undefined
    const reader = fromTransition((n: number, _e: EventObject, { self }) => {
      seen = table(self, 'kept')
      return n + 1
    }, 0)
    const { w, tables } = worker(reader)
    w.start()
    w.deliver({ type: 'read' })
    expect(seen).toBe(tables.get('kept'))
    w.dispose()
    expect(stopped(w)).toBe(true)
    expect(() => table(w.actor, 'kept')).toThrow()
  })

  it('from inside its own transition: the transition ends first, its state reaches no one, and then the actor stops', async () => {
    const disposing = fromTransition((n: number, e: EventObject) => {
      if (e.type === 'dispose') current.dispose()
      return n + 1
    }, 0)
    const { w, reports } = worker(disposing)
    const current = w
    w.start()
    w.deliver({ type: 'dispose' })
    expect(reports).toEqual([['snapshot', 0, undefined]])
    expect(stopped(w)).toBe(false)
    await Promise.resolve()
    expect(stopped(w)).toBe(true)
    expect(reports).toEqual([['snapshot', 0, undefined]])
  })

  it('from inside a transition that then throws: no crash is reported', async () => {
    const disposing = fromTransition((n: number, e: EventObject) => {
      if (e.type === 'dispose') {
        current.dispose()
        throw new Error('after dispose')
      }
      return n + 1
    }, 0)
    const { w, reports } = worker(disposing)
    const current = w
    w.start()
    w.deliver({ type: 'dispose' })
    await Promise.resolve()
    expect(reports).toEqual([['snapshot', 0, undefined]])
  })

  it('from inside a transition that reaches a final state or emits: no exit and no emitted event is reported', async () => {
    const emitsThenDisposes = setup({ types: { events: {} as { type: 'go' }, emitted: {} as { type: 'beeped' } } }).createMachine({
      initial: 'a',
      states: { a: { on: { go: { target: 'b', actions: [emit({ type: 'beeped' }), () => other.w.dispose()] } } }, b: { type: 'final' } }
    })
    const other = worker(emitsThenDisposes, { emitted: true })
    other.w.start()
    other.w.forwardEmitted()
    other.w.deliver({ type: 'go' })
    await Promise.resolve()
    expect(other.reports).toEqual([['snapshot', {}, undefined]])
  })

  it('twice is the same as once', () => {
    const { w } = worker(machine)
    w.start()
    w.dispose()
    expect(() => w.dispose()).not.toThrow()
    expect(stopped(w)).toBe(true)
  })
})

describe('what a worker costs', () => {
  // The xstate Actor behind the worker's ActorRef.
  const actorOf = (w: Worker) => w.actor as unknown as { readonly options: object; readonly logic: object; readonly eventListeners: Map<string, Set<unknown>> }
  // xstate spreads an actor's options over its defaults, and each key it has no default for gives
  // that copy a hidden class of its own (~200 B an actor): only keys with a value are given.
  it("gives its actor only the options that carry a value", () => {
    const plain = worker(machine).w
    expect(Object.keys(actorOf(plain).options)).not.toContain('inspect')
    expect(Object.keys(actorOf(plain).options)).not.toContain('input')
    expect(Object.keys(actorOf(plain).options)).not.toContain('snapshot')
    expect(actorOf(worker(machine, { input: { from: 1 } }).w).options).toMatchObject({ input: { from: 1 } })
  })

  // A listener costs the actor a map entry and a set: none is added when the hooks take no emitted events.
  it('adds a listener for emitted events only when its hooks take them', () => {
    const deaf = worker(machine).w
    deaf.forwardEmitted()
    expect(actorOf(deaf).eventListeners.size).toBe(0)
    const listening = worker(machine, { emitted: true }).w
    listening.forwardEmitted()
    expect(actorOf(listening).eventListeners.size).toBe(1)
  })

  it('shares one view of the logic among its incarnations: each adds an object, not a prototype of its own', () => {
    const views = [worker(machine).w, worker(machine).w].map((w) => Object.getPrototypeOf(actorOf(w).logic) as object)
    expect(views[0]).toBe(views[1])
  })
})

