import { describe, expect, it } from 'vitest'
import { assign, fromPromise, fromTransition, setup } from 'xstate'
import {
  branchSpec,
  call,
  cast,
  ChildAlreadyExistsError,
  deferReply,
  replyTo,
  startDynamicSupervisor,
  startSupervisor,
  SupervisorFullError,
  SupervisorStoppedError,
  table,
  transfer,
  UnknownChildError,
  whereis,
  type AnyBranch,
  type ReplyToken,
  type Supervisor
} from '../../src/index'
import { deferred } from '../support/deferred'
import { counterMachine } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

const running = stoppedAfterEach<Supervisor>()
async function pools(): Promise<[Supervisor, Supervisor]> {
  const a = await startSupervisor({ id: 'pool-a' })
  const b = await startSupervisor({ id: 'pool-b' })
  running.push(a, b)
  return [a, b]
}

type Add = { type: 'add'; client: number; n: number } | { type: 'get' } | { type: 'remember'; key: string }
const ledger = fromTransition((state: Readonly<Record<number, readonly number[]>>, e: Add, { self }) => {
  if (e.type === 'remember') table<string, boolean>(self, 'keys').set(e.key, true)
  if (e.type !== 'add') return state
  return { ...state, [e.client]: [...(state[e.client] ?? []), e.n] }
}, {} as Readonly<Record<number, readonly number[]>>)

describe('transfer', () => {
  it('moves a live branch with its state, tables and name; only the destination lists it', async () => {
    const [a, b] = await pools()
    const branch = (await a.startChild(branchSpec({ branch: { logic: ledger, name: 'ledger' } }))) as AnyBranch
    cast(branch, { type: 'add', client: 1, n: 1 })
    cast(branch, { type: 'remember', key: 'k' })

    await transfer('ledger', a, b)
    expect(a.whichChildren()).toEqual([])
    expect(b.whichChildren().map((c) => [c.id, c.child])).toEqual([['ledger', branch]])
    expect(whereis('ledger')).toBe(branch)
    expect(await call('ledger', { type: 'get' })).toEqual({ 1: [1] })
    expect(table(branch.worker()!, 'keys').get('k')).toBe(true)

    // The destination supervises it now: when the branch gives up, b restarts it.
    const restarted = new Promise((resolve) => b.once('restart', resolve))
    branch.kill() // within the branch's own intensity: the worker restarts in place
    expect(await call('ledger', { type: 'get' })).toEqual({ 1: [1] })
    await a.stop()
    expect(branch.status).toBe('running')
    await branch.stop() // a shutdown exit of a permanent child: b starts a new one
    await restarted
    expect(b.whichChildren()[0]?.status).toBe('running')
    expect(whereis('ledger')).toBe(b.whichChildren()[0]?.child)
  })

  it('the state crosses as the persisted snapshot: the old worker stops, a new incarnation runs from it', async () => {
    const [a, b] = await pools()
    const branch = (await a.startChild(branchSpec({ id: 'moved', branch: { logic: counterMachine } }))) as AnyBranch
    cast(branch, { type: 'inc' })
    const before = branch.worker()!
    await transfer(branch, a, b)
    expect(before.getSnapshot().status).toBe('stopped')
    expect(branch.worker()).not.toBe(before)
    expect(branch.children()[1]).toMatchObject({ status: 'running', incarnation: 2, restarts: 0 })
    expect(branch.worker()!.getSnapshot().context).toEqual({ count: 1 })
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('fails with a typed error, leaving the branch where it was and working', async () => {
    const [a, b] = await pools()
    const branch = (await a.startChild(branchSpec({ branch: { logic: ledger, name: 'ledger' } }))) as AnyBranch
    const outsider = (await b.startChild(branchSpec({ id: 'other', branch: { logic: ledger } }))) as AnyBranch

    await expect(transfer(outsider, a, b)).rejects.toBeInstanceOf(UnknownChildError)
    const full = await startDynamicSupervisor({ maxChildren: 0 })
    running.push(full)
    await expect(transfer(branch, a, full)).rejects.toBeInstanceOf(SupervisorFullError)
    await b.startChild(branchSpec({ id: 'ledger', branch: { logic: ledger } }))
    await expect(transfer(branch, a, b)).rejects.toBeInstanceOf(ChildAlreadyExistsError)
    const stopped = await startSupervisor({})
    await stopped.stop()
    await expect(transfer(branch, a, stopped)).rejects.toBeInstanceOf(SupervisorStoppedError)

    expect(a.whichChildren().map((c) => c.child)).toEqual([branch])
    cast(branch, { type: 'add', client: 7, n: 7 })
    expect(await call(branch, { type: 'get' })).toEqual({ 7: [7] })
  })

  it('a call awaiting a deferred reply is answered after the move', async () => {
    const gate = deferred<string>()
    const fetcher = setup({
      types: { context: {} as { pending: ReplyToken | null }, events: {} as { type: 'fetch' } },
      actors: { load: fromPromise(() => gate.promise) }
    }).createMachine({
      context: { pending: null },
      initial: 'idle',
      states: {
        idle: { on: { fetch: { target: 'loading', actions: assign({ pending: () => deferReply() }) } } },
        loading: {
          invoke: { src: 'load', onDone: { target: 'idle', actions: ({ context, event }) => replyTo(context.pending, event.output) } }
        }
      }
    })
    const [a, b] = await pools()
    const branch = (await a.startChild(branchSpec({ id: 'fetcher', branch: { logic: fetcher } }))) as AnyBranch
    const answer = call(branch, { type: 'fetch' })
    await transfer(branch, a, b)
    gate.resolve('fetched')
    expect(await answer).toBe('fetched')
  })

  it('under load: casts from four callers while the branch moves back and forth 20 times, each applied once, in order', async () => {
    const [a, b] = await pools()
    const branch = (await a.startChild(branchSpec({ branch: { logic: ledger, name: 'busy-ledger' } }))) as AnyBranch
    const perClient = 250
    const callers = [1, 2, 3, 4].map(async (client) => {
      for (let n = 0; n < perClient; n++) {
        if (n % 3 === 0) await call('busy-ledger', { type: 'add', client, n })
        else cast('busy-ledger', { type: 'add', client, n })
        await new Promise((resolve) => setImmediate(resolve))
      }
    })
    let moves = 0
    const mover = (async () => {
      for (; moves < 20; moves++) {
        await (moves % 2 === 0 ? transfer(branch, a, b) : transfer(branch, b, a))
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    await Promise.all([...callers, mover])
    expect(moves).toBe(20)
    const state = (await call(branch, { type: 'get' })) as Record<number, number[]>
    const expected = Array.from({ length: perClient }, (_, n) => n)
    for (const client of [1, 2, 3, 4]) expect(state[client]).toEqual(expected)
    expect(a.whichChildren().map((c) => c.child)).toEqual([branch])
    expect(b.whichChildren()).toEqual([])
  })
})
