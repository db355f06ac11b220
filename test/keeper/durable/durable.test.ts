import { describe, expect, it } from 'vitest'
import { assign, fromPromise, fromTransition, setup, type EventObject } from 'xstate'
import {
  call,
  cast,
  MemoryStore,
  RecoveryError,
  ReplayDivergenceError,
  startBranch,
  StoreUnavailableError,
  type AnyBranch,
  type DurableOptions
} from '../../../src/index'
import { FlakyStore } from '../../support/stores'
import { openedForEach } from '../../support/cleanup'

const { open, stop } = openedForEach<AnyBranch>()
/** Stops a branch (as a process would die) and starts it again on the same store. */
async function restart<B extends AnyBranch>(branch: B, again: () => Promise<B>): Promise<B> {
  await stop(branch)
  return open(again())
}

type CounterEvent = { type: 'add'; n: number } | { type: 'get' }
const counter = fromTransition(
  (s: { total: number; adds: number }, e: CounterEvent) => (e.type === 'add' ? { total: s.total + e.n, adds: s.adds + 1 } : s),
  ({ input }: { input: number | undefined }) => ({ total: input ?? 0, adds: 0 })
)

// 'changes': snapshot mode writing each state's changes, and the whole state every 3 (compactEvery).
describe.each(['snapshot', 'journal', 'changes'] as const)('a durable branch in %s mode', (kind) => {
  const mode = kind === 'changes' ? 'snapshot' : kind
  const durable = (store: MemoryStore, extra: Partial<DurableOptions> = {}): DurableOptions => ({
    store,
    mode,
    snapshotEvery: 3,
    ...(kind === 'changes' ? { compactEvery: 3 } : {}),
    ...extra
  })

  it('comes back with its state after it stopped; input seeds only the first start', async () => {
    const store = new MemoryStore()
    const start = () => startBranch({ logic: counter, name: `durable-${kind}`, input: 100, durable: durable(store) })
    let branch = await open(start())
    for (let n = 1; n <= 10; n++) await call(branch, { type: 'add', n })
    branch = await restart(branch, start)
    expect(await call(branch, { type: 'get' })).toEqual({ total: 155, adds: 10 })
    cast(branch, { type: 'add', n: 5 })
    branch = await restart(branch, start)
    expect(branch.state()).toEqual({ total: 160, adds: 11 })
  })

  it('a call resolves only once its message is durable, and the next message waits (sync)', async () => {
    const store = new FlakyStore()
    const branch = await open(startBranch({ logic: counter, name: `sync-${kind}`, durable: durable(store) }))
    const release = store.hold()
    let acked = false
    const first = call(branch, { type: 'add', n: 1 }).then((v) => ((acked = true), v))
    const second = call(branch, { type: 'add', n: 2 })
    await new Promise((resolve) => setImmediate(resolve))
    expect(acked).toBe(false)
    expect(branch.state()).toEqual({ total: 1, adds: 1 }) // the second has not been delivered
    release()
    expect(await first).toEqual({ total: 1, adds: 1 })
    expect(await second).toEqual({ total: 3, adds: 2 })
  })

  it('a store that fails mid-run: the call rejects, nothing is pretended, and it goes on once the store is back', async () => {
    const store = new FlakyStore()
    const branch = await open(startBranch({ logic: counter, name: `flaky-${kind}`, durable: durable(store) }))
    expect(await call(branch, { type: 'add', n: 1 })).toEqual({ total: 1, adds: 1 })

    store.down = true
    const failed = await call(branch, { type: 'add', n: 10 }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(StoreUnavailableError)
    expect(branch.status).toBe('restarting')
    const waiting = call(branch, { type: 'add', n: 100 }, { timeout: Infinity })

    const restarted = new Promise((resolve) => branch.once('restart', resolve))
    store.down = false
    await restarted
    expect(await waiting).toEqual({ total: 101, adds: 2 })
    const again = await restart(branch, () => startBranch({ logic: counter, name: `flaky-${kind}`, durable: durable(store) }))
    expect(again.state()).toEqual({ total: 101, adds: 2 })
  })

  it('an unreachable store at start rejects startBranch with the store error', async () => {
    const store = new FlakyStore()
    store.down = true
    await expect(startBranch({ logic: counter, name: `down-${kind}`, durable: durable(store) })).rejects.toBeInstanceOf(StoreUnavailableError)
  })
})

describe('journal mode', () => {
  it('appends every processed event with its sequence number, and tells subscribers in order', async () => {
    const store = new MemoryStore()
    const branch = await open(startBranch({ logic: counter, name: 'journaled', durable: { store, mode: 'journal', snapshotEvery: 0 } }))
    const told: number[] = []
    branch.on('persisted', ({ seq }) => told.push(seq))
    for (let n = 1; n <= 5; n++) cast(branch, { type: 'add', n })
    await call(branch, { type: 'get' })
    const events = await store.read('journaled')
    expect(events.map((e) => [e.seq, e.type, (e.payload as { n?: number }).n])).toEqual([
      [1, 'add', 1],
      [2, 'add', 2],
      [3, 'add', 3],
      [4, 'add', 4],
      [5, 'add', 5],
      [6, 'get', undefined]
    ])
    expect(told).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('10,000 events with a snapshot every 1,000: snapshot + replay equals the state before the restart', async () => {
    const store = new MemoryStore()
    const options = { logic: counter, name: 'long', durable: { store, mode: 'journal' as const, durability: 'batched' as const, snapshotEvery: 1000 } }
    let branch = await open(startBranch(options))
    for (let n = 1; n <= 10_000; n++) cast(branch, { type: 'add', n })
    const before = await call(branch, { type: 'get' })
    branch = await restart(branch, () => startBranch(options))
    expect(branch.state()).toEqual(before)
    expect(before).toEqual({ total: 50_005_000, adds: 10_000 })
    expect((await store.loadSnapshot('long'))?.seq).toBe(10_000)
  })

  it('replays without side effects: actions and invoked actors do not run again', async () => {
    const effects = { emails: 0, fetches: 0 }
    const mailer = setup({
      types: { context: {} as { sent: number; fetched: string[] }, events: {} as { type: 'send' } | { type: 'fetch' } | { type: 'get' } },
      actors: { fetcher: fromPromise(async () => (effects.fetches++, 'data')) }
    }).createMachine({
      context: { sent: 0, fetched: [] },
      initial: 'idle',
      states: {
        idle: {
          on: {
            send: { actions: [() => effects.emails++, assign({ sent: ({ context }) => context.sent + 1 })] },
            fetch: 'fetching'
          }
        },
        fetching: {
          invoke: { src: 'fetcher', onDone: { target: 'idle', actions: assign({ fetched: ({ context, event }) => [...context.fetched, event.output] }) } }
        }
      }
    })
    const store = new MemoryStore()
    const options = { logic: mailer, name: 'mailer', durable: { store, mode: 'journal' as const, snapshotEvery: 0 } }
    let branch = await open(startBranch(options))
    cast(branch, { type: 'send' })
    cast(branch, { type: 'send' })
    const fetched = new Promise((resolve) => branch.on('persisted', ({ event }) => event.type.startsWith('xstate.done') && resolve(event)))
    cast(branch, { type: 'fetch' })
    await fetched
    expect(effects).toEqual({ emails: 2, fetches: 1 })

    branch = await restart(branch, () => startBranch(options))
    expect(branch.state()).toEqual({ sent: 2, fetched: ['data'] })
    expect(effects).toEqual({ emails: 2, fetches: 1 })
  })

  it('reports a logic that replays to another state', async () => {
    const dice = fromTransition((s: { roll: number }, e: { type: 'roll' }) => (e.type === 'roll' ? { roll: Math.random() } : s), { roll: 0 })
    const branch = await open(startBranch({ logic: dice, name: 'dice', durable: { store: new MemoryStore(), mode: 'journal', snapshotEvery: 2 } }))
    const divergence = new Promise<ReplayDivergenceError>((resolve) => branch.on('divergence', resolve))
    cast(branch, { type: 'roll' })
    cast(branch, { type: 'roll' })
    const error = await divergence
    expect(error).toBeInstanceOf(ReplayDivergenceError)
    expect(error.seq).toBe(2)
  })

  it('upgrades old events with an adapter; without one, recovery names the event it cannot read', async () => {
    const store = new MemoryStore()
    await store.append('upgraded', [{ type: 'add', payload: { type: 'add', amount: 5 }, version: 1 }, { type: 'add', payload: { type: 'add', amount: 7 }, version: 1 }], 0)
    const adapter = (event: EventObject, version: number) => {
      if (version !== 1) throw new Error(`unknown version ${version}`)
      return { type: 'add', n: (event as unknown as { amount: number }).amount }
    }
    const branch = await open(startBranch({ logic: counter, name: 'upgraded', durable: { store, mode: 'journal', eventVersion: 2, adapter } }))
    expect(branch.state()).toEqual({ total: 12, adds: 2 })

    const error = await startBranch({ logic: counter, name: 'unadapted', durable: { store, id: 'upgraded', mode: 'journal', eventVersion: 2 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect((error as RecoveryError).seq).toBe(1)
    expect((error as Error).message).toContain('"upgraded"')
  })

  it('stores tags beside events, queried across branches in append order', async () => {
    const store = new MemoryStore()
    const tags = (e: EventObject) => (e.type === 'add' && (e as unknown as { n: number }).n > 10 ? ['big'] : [])
    const branches = await Promise.all(['t1', 't2', 't3'].map((name) => open(startBranch({ logic: counter, name, durable: { store, mode: 'journal', tags } }))))
    await call(branches[0] as AnyBranch, { type: 'add', n: 50 })
    await call(branches[1] as AnyBranch, { type: 'add', n: 1 })
    await call(branches[2] as AnyBranch, { type: 'add', n: 20 })
    await call(branches[0] as AnyBranch, { type: 'add', n: 30 })
    const { events } = await store.queryByTag('big')
    expect(events.map((e) => [e.id, (e.payload as { n: number }).n])).toEqual([
      ['t1', 50],
      ['t3', 20],
      ['t1', 30]
    ])
  })

  it('batched durability groups the writes of many branches into few transactions', async () => {
    const store = new FlakyStore()
    const branches = await Promise.all(
      Array.from({ length: 20 }, (_, i) => open(startBranch({ logic: counter, name: `batch-${i}`, durable: { store, mode: 'journal', durability: 'batched', snapshotEvery: 0 } })))
    )
    const answers = await Promise.all(branches.flatMap((b) => [1, 2, 3].map((n) => call(b, { type: 'add', n }))))
    expect(answers).toHaveLength(60)
    expect(store.appends).toBe(0)
    expect(store.batches).toBeLessThan(10)
    for (const b of branches) expect((await store.read(b.id)).length).toBe(3)
  })
})

describe('a stored snapshot that does not fit the logic', () => {
  it('fails the start with a typed error naming the branch', async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('misfit', { seq: 0, data: { status: 'active', value: 'nowhere', context: {}, children: {}, historyValue: {} } })
    const machine = setup({}).createMachine({ initial: 'a', states: { a: {} } })
    const error = await startBranch({ logic: machine, name: 'misfit', durable: { store, mode: 'journal' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect((error as Error).message).toContain('"misfit"')
  })
})
