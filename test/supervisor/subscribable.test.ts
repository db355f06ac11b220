import { assign, emit, fromCallback, setup, toPromise, waitFor, type ActorRefFromLogic, type AnyActorLogic, type InspectionEvent } from 'xstate'
import { describe, expect, it } from 'vitest'
import { cast, InvalidOptionError, RestartIntensityExceeded, startBranch, type Branch } from '../../src/index'
import { counterMachine } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'
import { ManualClock } from '../support/ManualClock'

// xstate types waitFor's and toPromise's argument as an actor ref (system, sessionId, ...); at run
// time they use only subscribe and getSnapshot, which a branch has. A branch is not an actor ref:
// each incarnation's actor has its own system.
const asRef = <L extends AnyActorLogic>(branch: Branch<L>) => branch as unknown as ActorRefFromLogic<L>

const branches = stoppedAfterEach<{ stop(): Promise<void> }>()

/** Counts `inc`s, emits `pong` on `ping`, throws on `crash`, finishes with its count on `finish`. */
const pinger = setup({
  types: {
    context: {} as { count: number },
    events: {} as { type: 'inc' } | { type: 'ping' } | { type: 'crash' } | { type: 'finish' },
    emitted: {} as { type: 'pong'; count: number }
  }
}).createMachine({
  context: { count: 0 },
  initial: 'on',
  states: {
    on: {
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        ping: { actions: emit(({ context }) => ({ type: 'pong' as const, count: context.count })) },
        crash: { actions: () => { throw new Error('crash') } },
        finish: 'done'
      }
    },
    done: { type: 'final' }
  },
  output: ({ context }) => context.count
})

describe('a branch as an xstate Subscribable of its kept snapshot', () => {
  it("xstate's waitFor takes a branch and sees states made after a restart", async () => {
    const branch = await startBranch({ logic: counterMachine })
    branches.push(branch)
    const reached = waitFor(asRef(branch), (snapshot) => snapshot.context.count >= 2)
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'crash' })
    cast(branch, { type: 'inc' })
    const snapshot = await reached
    expect(snapshot.context).toEqual({ count: 2 })
    expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
    expect(branch.getSnapshot()).toBe(snapshot)
  })

  it("xstate's toPromise resolves with the output of the final state, reached after a restart", async () => {
    const branch = await startBranch({ logic: pinger })
    const output = toPromise(asRef(branch))
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'crash' })
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'finish' })
    await expect(output).resolves.toBe(2)
    expect(branch.status).toBe('stopped')
  })

  it("toPromise rejects with the branch's failure when it gives up", async () => {
    const branch = await startBranch({ logic: pinger, intensity: { maxRestarts: 0, maxSeconds: 10 } })
    const output = toPromise(asRef(branch))
    cast(branch, { type: 'crash' })
    await expect(output).rejects.toBeInstanceOf(RestartIntensityExceeded)
  })

  it('subscribe: next gets each new kept snapshot, not the one a restart brings back; stop completes; unsubscribe ends it', async () => {
    const branch = await startBranch({ logic: counterMachine })
    const seen: number[] = []
    let completed = 0
    const subscription = branch.subscribe({ next: (s) => seen.push(s.context.count), complete: () => completed++ })
    const second: number[] = []
    const other = branch.subscribe((s) => second.push(s.context.count))
    cast(branch, { type: 'inc' })
    other.unsubscribe()
    cast(branch, { type: 'nothing' } as never) // no transition: the same snapshot, no news
    cast(branch, { type: 'crash' })
    cast(branch, { type: 'inc' })
    expect(seen).toEqual([1, 2])
    expect(second).toEqual([1])
    await branch.stop()
    expect(completed).toBe(1)
    // A stopped branch completes a new subscriber at once.
    let late = 0
    branch.subscribe({ complete: () => late++ })
    expect(late).toBe(1)
    subscription.unsubscribe()
    expect(() => branch.subscribe({ next: 1 } as never)).toThrow(InvalidOptionError)
  })

  it('subscribe: a restart of a machine with a child brings back a new snapshot object, which is not news either', async () => {
    // With a child, the kept state comes back through xstate's restoreSnapshot: a new object, not the kept one.
    const parent = setup({
      types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'crash' } },
      actors: { idle: fromCallback(() => undefined) }
    }).createMachine({
      context: { count: 0 },
      invoke: { id: 'idle', src: 'idle' },
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        crash: { actions: () => { throw new Error('crash') } }
      }
    })
    const branch = await startBranch({ logic: parent })
    branches.push(branch)
    const seen: number[] = []
    branch.subscribe((s) => seen.push(s.context.count))
    cast(branch, { type: 'inc' })
    const kept = branch.getSnapshot()
    cast(branch, { type: 'crash' })
    expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
    expect(branch.getSnapshot()).not.toBe(kept)
    expect(seen).toEqual([1])
    cast(branch, { type: 'inc' })
    expect(seen).toEqual([1, 2])
  })
})

describe('emitted events and inspection across restarts', () => {
  it("events the logic emits reach branch.on handlers, by type and with '*', in every incarnation", async () => {
    const branch = await startBranch({ logic: pinger })
    branches.push(branch)
    const pongs: number[] = []
    const all: string[] = []
    branch.on('pong', (event) => pongs.push(event.count))
    branch.on('*', (event) => all.push(event.type))
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'ping' })
    cast(branch, { type: 'crash' })
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'ping' })
    expect(pongs).toEqual([1, 2])
    expect(all).toEqual(['pong', 'pong'])
    expect(branch.children()[1]).toMatchObject({ incarnation: 2 })
  })

  it('a handler added while the branch is passivated hears the worker its next message wakes', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: pinger, clock, idleTimeout: 100 })
    branches.push(branch)
    clock.advance(100)
    expect(branch.status).toBe('passivated')
    const pongs: number[] = []
    branch.on('pong', (event) => pongs.push(event.count))
    cast(branch, { type: 'ping' })
    expect(pongs).toEqual([0])
  })

  it("`inspect` is given to every incarnation's actor", async () => {
    const events: InspectionEvent[] = []
    const branch = await startBranch({ logic: counterMachine, inspect: (event) => events.push(event) })
    branches.push(branch)
    cast(branch, { type: 'inc' })
    branch.kill()
    cast(branch, { type: 'inc' })
    const incs = events.filter((e) => e.type === '@xstate.event' && e.event.type === 'inc')
    expect(incs).toHaveLength(2)
    expect(new Set(incs.map((e) => e.actorRef.sessionId)).size).toBe(2)
    await expect(startBranch({ logic: counterMachine, inspect: 42 as never })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})
