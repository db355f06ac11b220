import { describe, expect, it } from 'vitest'
import { assign, fromTransition, setup } from 'xstate'
import {
  call,
  InvalidOptionError,
  MemoryStore,
  migrations,
  RecoveryError,
  SnapshotConflictError,
  SnapshotMigrationError,
  startBranch,
  startPool,
  type AnyBranch,
  type KeeperStore
} from '../../../src/index'
import { openedForEach } from '../../support/cleanup'

const { open, stop } = openedForEach<AnyBranch>()
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error
  )
}

// Version 1 counts in `count`; version 2 keeps `total` and how many adds made it; version 3 adds a currency.
type V1 = { status: 'active'; context: { count: number } }
type V2 = { status: 'active'; context: { total: number; adds: number } }
type V3 = { status: 'active'; context: { total: number; adds: number; currency: string } }
type AddEvent = { type: 'add'; n: number } | { type: 'get' }
const counterV1 = fromTransition((s: { count: number }, e: AddEvent) => (e.type === 'add' ? { count: s.count + e.n } : s), { count: 0 })
const counterV2 = fromTransition(
  (s: { total: number; adds: number }, e: AddEvent) => (e.type === 'add' ? { total: s.total + e.n, adds: s.adds + 1 } : s),
  { total: 0, adds: 0 }
)
const counterV3 = fromTransition(
  (s: { total: number; adds: number; currency: string }, e: AddEvent) => (e.type === 'add' ? { ...s, total: s.total + e.n, adds: s.adds + 1 } : s),
  { total: 0, adds: 0, currency: 'EUR' }
)
const toV2 = (s: V1): V2 => ({ ...s, context: { total: s.context.count, adds: -1 } })
const toV3 = (s: V2): V3 => ({ ...s, context: { ...s.context, currency: 'EUR' } })

async function writtenByV1(store: KeeperStore, id: string, adds: number[]): Promise<void> {
  const branch = await open(startBranch({ logic: counterV1, name: id, durable: { store } }))
  for (const n of adds) await call(branch, { type: 'add', n })
  await stop(branch)
}

describe('versioned snapshots', () => {
  it('stamps every snapshot with the logic version (default 1)', async () => {
    const store = new MemoryStore()
    await writtenByV1(store, 'c', [1, 2])
    expect(await store.loadSnapshot('c')).toMatchObject({ version: 1, data: { context: { count: 3 } } })
    const branch = await open(startBranch({ logic: counterV2, name: 'c', durable: { store, version: 2, migrations: { 2: toV2 } } }))
    await call(branch, { type: 'add', n: 4 })
    expect(await store.loadSnapshot('c')).toMatchObject({ version: 2, data: { context: { total: 7, adds: 0 } } })
  })

  it('migrates an older snapshot step by step before the worker starts, and writes it back once', async () => {
    const store = new MemoryStore()
    await writtenByV1(store, 'c', [5, 6])
    const before = await store.loadSnapshot('c')
    const ran: string[] = []
    const steps = migrations<V1>()
      .step(2, (s, { id, from }) => (ran.push(`${id}:${from}->2`), toV2(s)))
      .step(3, (s, { from }) => (ran.push(`${from}->3`), toV3(s)))
    expect(steps.version).toBe(3)
    const start = () => startBranch({ logic: counterV3, name: 'c', durable: { store, migrations: steps } })
    let branch = await open(start())
    expect(branch.state()).toEqual({ total: 11, adds: -1, currency: 'EUR' })
    // Written back at the same sequence, so a writer fencing on it still finds it.
    expect(await store.loadSnapshot('c')).toMatchObject({ seq: before!.seq, version: 3, data: { context: { total: 11, adds: -1, currency: 'EUR' } } })
    await stop(branch)
    branch = await open(start())
    expect(await call(branch, { type: 'add', n: 1 })).toEqual({ total: 12, adds: 0, currency: 'EUR' })
    expect(ran).toEqual(['c:1->2', '2->3'])
  })

  it('migrates a pool key on its first message, from the same options as a branch', async () => {
    const store = new MemoryStore()
    const v1 = await startPool({ logic: counterV1, id: 'carts', durable: { store } })
    await v1.call('k1', { type: 'add', n: 2 })
    await v1.stop()
    const v2 = await startPool({ logic: counterV2, id: 'carts', durable: { store, version: 2, migrations: { 2: toV2 } } })
    try {
      expect(await v2.call('k1', { type: 'add', n: 3 })).toEqual({ total: 5, adds: 0 })
      expect(await store.loadSnapshot('carts/k1')).toMatchObject({ version: 2 })
    } finally {
      await v2.stop()
    }
  })

  it('migrates a machine without states (its state value is {})', async () => {
    const tally = (field: 'n' | 'total') =>
      setup({ types: { context: {} as Record<string, number>, events: {} as { type: 'inc' } } }).createMachine({
        context: { [field]: 0 },
        on: { inc: { actions: assign({ [field]: ({ context }: { context: Record<string, number> }) => (context[field] ?? 0) + 1 }) } }
      })
    const store = new MemoryStore()
    const old = await open(startBranch({ logic: tally('n'), name: 't', durable: { store } }))
    await call(old, { type: 'inc' })
    await stop(old)
    expect(await store.loadSnapshot('t')).toMatchObject({ data: { value: {} } })
    type T1 = { context: { n: number } }
    const start = () => startBranch({ logic: tally('total'), name: 't', durable: { store, migrations: { 2: (s: T1) => ({ ...s, context: { total: s.context.n } }) } } })
    const branch = await open(start())
    expect(await call(branch, { type: 'inc' })).toEqual({ total: 2 })
    await stop(branch)
    expect((await open(start())).state()).toEqual({ total: 2 }) // current now: restored as it is
  })

  describe('a machine renaming a state', () => {
    const v1 = setup({ types: { events: {} as { type: 'pay' } | { type: 'ship' } } }).createMachine({
      id: 'order',
      initial: 'unpaid',
      context: { items: 1 },
      states: { unpaid: { on: { pay: 'paid' } }, paid: { on: { ship: 'shipped' } }, shipped: {} }
    })
    // Version 2 splits `paid` into `paid.packing` and `paid.ready`, and names the item count `lines`.
    const v2 = setup({ types: { events: {} as { type: 'pay' } | { type: 'pack' } | { type: 'ship' } } }).createMachine({
      id: 'order',
      initial: 'unpaid',
      context: { lines: 1 },
      states: {
        unpaid: { on: { pay: 'paid' } },
        paid: { initial: 'packing', states: { packing: { on: { pack: 'ready' } }, ready: { on: { ship: '#order.shipped' } } } },
        shipped: {}
      }
    })
    type O1 = { status: 'active'; value: string; context: { items: number } }
    type O2 = { status: 'active'; value: string | { paid: string }; context: { lines: number } }
    const renamed = (s: O1): O2 => ({ ...s, value: s.value === 'paid' ? { paid: 'packing' } : s.value, context: { lines: s.context.items } })

    it('starts in the renamed state and takes the new events', async () => {
      const store = new MemoryStore()
      const old = await open(startBranch({ logic: v1, name: 'o', durable: { store } }))
      await call(old, { type: 'pay' })
      await stop(old)
      const branch = await open(startBranch({ logic: v2, name: 'o', durable: { store, version: 2, migrations: { 2: renamed } } }))
      expect(branch.worker()!.getSnapshot().value).toEqual({ paid: 'packing' })
      await call(branch, { type: 'pack' })
      expect(branch.worker()!.getSnapshot().value).toEqual({ paid: 'ready' })
    })

    it.each([
      ['names a state the machine lacks', (s: O1) => ({ ...renamed(s), value: 'packed' }), /State 'packed' does not exist/],
      ['is an empty object (xstate would silently start over)', (s: O1) => ({ ...renamed(s), value: {} }), /state value is an empty object/],
      ['is not a state value', (s: O1) => ({ ...renamed(s), value: 7 }), /state value is number 7/],
      ['has a context of another kind', (s: O1) => ({ ...renamed(s), context: [s.context.items] }), /context is an array/]
    ])('refuses a migrated state that %s, and leaves the store as it was', async (_, step, why) => {
      const store = new MemoryStore()
      const old = await open(startBranch({ logic: v1, name: 'o', durable: { store } }))
      await call(old, { type: 'pay' })
      await stop(old)
      const before = await store.loadSnapshot('o')
      const error = await rejection(startBranch({ logic: v2, name: 'o', durable: { store, version: 2, migrations: { 2: step } } }))
      expect(error).toBeInstanceOf(SnapshotMigrationError)
      expect(error).toBeInstanceOf(RecoveryError)
      expect(error).toMatchObject({ branchId: 'o', version: 1, targetVersion: 2 })
      expect(String((error as Error).message) + String(((error as Error).cause as Error | undefined)?.message)).toMatch(why)
      expect(await store.loadSnapshot('o')).toEqual(before)
    })

    it("runs the user's validate hook on the migrated state", async () => {
      const store = new MemoryStore()
      const old = await open(startBranch({ logic: v1, name: 'o', durable: { store } }))
      await stop(old)
      const validate = (s: O2) => (s.context.lines > 0 ? true : 'an order has at least one line')
      const broken = (s: O1): O2 => ({ ...renamed(s), context: { lines: 0 } })
      const error = await rejection(startBranch({ logic: v2, name: 'o', durable: { store, version: 2, migrations: { 2: broken }, validate } }))
      expect(error).toMatchObject({ reason: 'durable.validate refused the migrated snapshot: an order has at least one line' })
      const branch = await open(startBranch({ logic: v2, name: 'o', durable: { store, version: 2, migrations: { 2: renamed }, validate } }))
      expect(branch.state()).toEqual({ lines: 1 })
    })
  })

  describe('fails the start with SnapshotMigrationError, writing nothing, for', () => {
    it.each([
      ['a newer version', { version: 1 }, 2, /written by a newer version/],
      ['a missing step', { version: 3, migrations: { 3: toV3 } }, 1, /no migration step to version 2/],
      ['a step that throws', { version: 2, migrations: { 2: () => { throw new Error('no such cart') } } }, 1, /the step to version 2 threw \(Error: no such cart\)/],
      ['a step whose result no store can keep', { version: 2, migrations: { 2: (s: V1) => ({ ...s, context: { total: new Date(0), adds: 0 } }) } }, 1, /not JSON a store can keep \(InvalidRecordError: .*snapshot\.data\.context\.total/]
    ])('%s', async (_, options, storedVersion, why) => {
      const store = new MemoryStore()
      await store.saveSnapshot('c', { seq: 4, data: { status: 'active', context: { count: 1 } }, version: storedVersion })
      const before = await store.loadSnapshot('c')
      const error = await rejection(startBranch({ logic: counterV2, name: 'c', durable: { store, ...options } }))
      expect(error).toBeInstanceOf(SnapshotMigrationError)
      expect(error).toMatchObject({ branchId: 'c', seq: 4, version: storedVersion })
      expect((error as Error).message).toMatch(/^Could not recover "c" at sequence 4: its snapshot has version \d and this logic is version \d: /)
      expect((error as Error).message).toMatch(why)
      expect(await store.loadSnapshot('c')).toEqual(before)
    })
  })

  it('journal mode: refuses an event written by a newer version', async () => {
    const store = new MemoryStore()
    await store.append('j', [{ type: 'add', payload: { type: 'add', n: 1 }, version: 3 }], 0)
    const error = await rejection(startBranch({ logic: counterV2, name: 'j', durable: { store, mode: 'journal', version: 2, migrations: { 2: toV2 } } }))
    expect(error).toBeInstanceOf(RecoveryError)
    expect((error as Error).message).toMatch(/at sequence 1: it has version 3, newer than this logic's 2/)
  })

  /** A MemoryStore where, once `racing`, another writer replaces the snapshot right after the next load. */
  class RacedStore extends MemoryStore {
    racing = false
    override async loadSnapshot(id: string): ReturnType<KeeperStore['loadSnapshot']> {
      const found = await super.loadSnapshot(id)
      if (found && this.racing) {
        this.racing = false
        await this.saveSnapshot(id, { seq: found.seq + 1, data: { status: 'active', context: { total: 40, adds: 2 } }, version: 2, expectedSeq: found.seq })
      }
      return found
    }
  }

  it('a writer that replaced the snapshot while it was migrated wins: the write-back is refused, and the next start reads the new one', async () => {
    const store = new RacedStore()
    await writtenByV1(store, 'c', [1])
    // Another process (already on version 2) writes right after this one read the snapshot.
    store.racing = true
    const options = { logic: counterV2, name: 'c', durable: { store, version: 2, migrations: { 2: toV2 } } }
    expect(await rejection(startBranch(options))).toBeInstanceOf(SnapshotConflictError)
    const branch = await open(startBranch(options))
    expect(branch.state()).toEqual({ total: 40, adds: 2 })
  })
})

describe('durable version options', () => {
  it.each([
    ['a step out of order', () => migrations<V1>().step(3, toV2), 'migrations.step(to)'],
    ['a step keyed below 2', () => startBranch({ logic: counterV2, durable: { store: new MemoryStore(), id: 'x', migrations: { 1: toV2 } } }), 'durable.migrations[1]'],
    ['a step that is not a function', () => startBranch({ logic: counterV2, durable: { store: new MemoryStore(), id: 'x', migrations: { 2: 'toV2' as never } } }), 'durable.migrations[2]'],
    ['a version below its steps', () => startBranch({ logic: counterV2, durable: { store: new MemoryStore(), id: 'x', version: 1, migrations: { 2: toV2 } } }), 'durable.migrations'],
    ['a version that is not an integer', () => startBranch({ logic: counterV2, durable: { store: new MemoryStore(), id: 'x', version: 1.5 } }), 'durable.version'],
    ['eventVersion differing from version', () => startBranch({ logic: counterV2, durable: { store: new MemoryStore(), id: 'x', version: 2, eventVersion: 3 } }), 'durable.eventVersion'],
    ['a validate that is not a function', () => startBranch({ logic: counterV2, durable: { store: new MemoryStore(), id: 'x', validate: true as never } }), 'durable.validate']
  ])('refuses %s with InvalidOptionError naming it', async (_, make, option) => {
    const error = await (async () => make())().then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ option })
  })

  it('eventVersion is the older name of version: events and snapshots carry it', async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('e', { seq: 0, data: { status: 'active', context: { total: 1, adds: 1 } }, version: 2 })
    const branch = await open(startBranch({ logic: counterV2, name: 'e', durable: { store, mode: 'journal', eventVersion: 2 } }))
    await call(branch, { type: 'add', n: 1 })
    expect((await store.read('e')).map((e) => e.version)).toEqual([2])
  })
})

// The typed chain: each step gets the previous one's output type (checked by tsc, not at run time).
void (() => {
  const steps = migrations<V1>()
    .step(2, (s) => ({ ...s, context: { total: s.context.count, adds: 0 } }))
    // @ts-expect-error version 2 has no `count`
    .step(3, (s) => s.context.count)
  return steps
})
