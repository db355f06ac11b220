import { describe, expect, it } from 'vitest'
import { assign, createActor, emit, fromCallback, fromPromise, setup, SimulatedClock, spawnChild, transition, type AnyActorLogic, type EventObject, type Snapshot } from 'xstate'
import { inertScope, replay, revive } from '../../../src/keeper/durable/replay'

// Recovery's replay runs xstate's machine `transition` with one inert scope for the whole journal.
// It must reach the state the live actor reached from the same events, with none of the actions,
// children or timers running again, on a machine that uses what xstate's transition resolves:
// guards, assign, nested and parallel states, eventless and delayed transitions, invoked and
// spawned children, emitted events.

const effects = { entries: 0, custom: 0, fetches: 0, listens: 0, emitted: 0 }
type Ev = { type: 'inc'; by: number } | { type: 'toggle' } | { type: 'go' } | { type: 'back' } | { type: 'spawn' }

const machine = setup({
  types: { context: {} as { n: number; log: string[] }, events: {} as Ev },
  actors: {
    fetcher: fromPromise(async () => (effects.fetches++, 'data')),
    listener: fromCallback(() => {
      effects.listens++
    })
  },
  guards: { small: ({ context }) => context.n < 50 },
  actions: {
    note: () => {
      effects.custom++
    }
  }
}).createMachine({
  context: { n: 0, log: [] },
  type: 'parallel',
  states: {
    work: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            go: 'busy',
            inc: [
              { guard: 'small', actions: [assign({ n: ({ context, event }) => context.n + event.by }), 'note'] },
              { actions: assign({ log: ({ context }) => [...context.log, 'big'] }) }
            ]
          }
        },
        busy: {
          entry: () => {
            effects.entries++
          },
          invoke: { id: 'fetch', src: 'fetcher', onDone: { target: 'idle', actions: assign({ log: ({ context, event }) => [...context.log, event.output] }) } },
          after: { 1000: { target: 'idle', actions: emit({ type: 'timedOut' }) } },
          on: { back: 'idle' },
          initial: 'a',
          states: { a: { on: { inc: 'b' } }, b: { invoke: { src: 'listener' } } }
        }
      }
    },
    light: {
      initial: 'off',
      states: { off: { on: { toggle: 'on' } }, on: { on: { toggle: 'off' }, always: { guard: ({ context }) => context.n > 30, target: 'off' } } }
    },
    kids: { on: { spawn: { actions: spawnChild('listener', { id: 'spawned' }) } } }
  }
}) as unknown as AnyActorLogic

/** Runs the machine live, with a simulated clock, and returns the events its root took, in order (delayed ones and children's done events too). */
async function runLive(): Promise<{ events: EventObject[]; persisted: Snapshot<unknown> }> {
  const clock = new SimulatedClock()
  const events: EventObject[] = []
  const actor = createActor(machine, {
    clock,
    inspect: (e) => {
      if (e.type === '@xstate.event' && e.actorRef === actor && e.event.type !== 'xstate.init') events.push(e.event)
    }
  })
  actor.on('timedOut', () => effects.emitted++)
  actor.start()
  for (let i = 0; i < 40; i++) {
    actor.send({ type: 'inc', by: i % 7 })
    actor.send({ type: 'toggle' })
    if (i % 10 === 3) actor.send({ type: 'go' })
    if (i % 10 === 4) clock.increment(1000) // the delayed transition fires
    if (i % 10 === 7) {
      actor.send({ type: 'go' })
      await new Promise((resolve) => setImmediate(resolve)) // the invoked promise resolves: its done event
    }
    if (i % 10 === 8) actor.send({ type: 'inc', by: 1 })
    if (i % 10 === 9) actor.send({ type: 'back' })
    if (i === 20) actor.send({ type: 'spawn' })
  }
  const persisted = actor.getPersistedSnapshot() as Snapshot<unknown>
  actor.stop()
  return { events: JSON.parse(JSON.stringify(events)) as EventObject[], persisted }
}

describe("recovery's replay: one inert scope through xstate's transition", () => {
  it('reaches the live state from the same events, and no action, child or timer runs again', async () => {
    const live = await runLive()
    const kinds = new Set(live.events.map((e) => e.type))
    // The events exercise what the case is about: a delayed transition, a child's done event.
    expect([...kinds].some((t) => t.startsWith('xstate.after.'))).toBe(true)
    expect([...kinds].some((t) => t.startsWith('xstate.done.actor.'))).toBe(true)
    const during = { ...effects }

    const scope = inertScope(machine)
    const replayed = replay(machine, scope, revive(machine, scope, undefined, undefined), live.events)
    const persisted = machine.getPersistedSnapshot!(replayed) as Snapshot<unknown> & { children: Record<string, unknown> }
    expect(effects).toEqual(during)

    // The state: everything but the children's own snapshots (the live ones ran; replayed ones never start).
    const own = ({ children, ...rest }: Snapshot<unknown> & { children: Record<string, unknown> }) => ({ ...rest, children: Object.keys(children).sort() })
    expect(own(persisted)).toEqual(own(live.persisted as typeof persisted))
    // Whole, children too: what xstate's own pure `transition` (a fresh inert scope per event) gives.
    let reference = revive(machine, inertScope(machine), undefined, undefined)
    for (const event of live.events) reference = transition(machine, reference, event)[0] as Snapshot<unknown>
    expect(persisted).toEqual(machine.getPersistedSnapshot!(reference))
    expect(effects).toEqual(during)
  })
})
