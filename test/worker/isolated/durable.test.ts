import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  call,
  callAll,
  ChildStartError,
  cast,
  MemoryStore,
  ReplayDivergenceError,
  startBranch,
  startPool,
  StoreUnavailableError,
  UncloneableError,
  WorkerCrashedError,
  WorkerHungError,
  type AnyBranch,
  type DurableOptions,
  type KeeperStore
} from '../../../src/index'
import { SqliteStore } from '../../../src/sqlite'
import { stoppedAfterEach } from '../../support/cleanup'
import { FlakyStore } from '../../support/stores'
import { effects } from './logics'
import { logicModule, next } from './support'

// A durable branch whose worker is isolated: the keeper and its store stay in
// this process, recovery replays the logic module here (inertly), and the
// worker runs in a thread or a child process that may hang or abort.

const dir = mkdtempSync(join(tmpdir(), 'keepsake-isolated-durable-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const sqlite = () => SqliteStore.open(join(dir, `${++files}.db`))

const started = stoppedAfterEach<AnyBranch>()
const LONG = { timeout: 20_000 }

async function meter(isolation: 'thread' | 'process', durable: DurableOptions, extra: Record<string, unknown> = {}): Promise<AnyBranch> {
  const branch = await startBranch({ logic: logicModule('meter'), name: `meter-${isolation}-${files}`, isolation, maxProcessingMs: 500, durable, ...extra })
  started.push(branch)
  return branch
}

/** Stops `branch` (as a process that ends would) and starts it again from the same store. */
async function again(branch: AnyBranch, start: () => Promise<AnyBranch>): Promise<AnyBranch> {
  started.splice(started.indexOf(branch), 1)
  await branch.stop()
  return start()
}

const readings = (branch: AnyBranch) => (branch.state() as { readings: readonly number[] }).readings

describe.each(['thread', 'process'] as const)("durable with isolation '%s'", (isolation) => {
  it('a journal on SqliteStore keeps every acknowledged update through a hang (and an abort), and a new start recovers it without side effects', async () => {
    const store = await sqlite()
    const durable: DurableOptions = { store, id: 'meter', mode: 'journal', snapshotEvery: 4 }
    const persisted: number[] = []
    let branch = await meter(isolation, durable)
    branch.on('persisted', ({ seq }: { seq: number }) => persisted.push(seq))
    for (const value of [1, 2, 3]) await call(branch, { type: 'read', value })
    await expect(call(branch, { type: 'hang' }, LONG)).rejects.toBeInstanceOf(WorkerHungError)
    await call(branch, { type: 'read', value: 4 }, LONG)
    if (isolation === 'process') {
      await expect(call(branch, { type: 'abort' }, LONG)).rejects.toBeInstanceOf(WorkerCrashedError)
      await call(branch, { type: 'read', value: 5 }, LONG)
    }
    const acknowledged = isolation === 'process' ? [1, 2, 3, 4, 5] : [1, 2, 3, 4]
    expect(readings(branch)).toEqual(acknowledged)
    // Only what was processed is journaled: not the hung message, not the aborted one.
    expect(persisted).toEqual(acknowledged.map((_, i) => i + 1))
    expect(await store.lastSeq('meter')).toBe(acknowledged.length)

    // The whole thing stops, as a process that ends; a new start from the store brings it back.
    const before = effects.count
    branch = await again(branch, () => meter(isolation, durable))
    expect(readings(branch)).toEqual(acknowledged)
    expect(effects.count, 'the replay in this process ran no action').toBe(before)
    // A fresh worker, started from the recovered state: it ran no effect either.
    expect(await call(branch, { type: 'effects' }, LONG)).toBe(0)
    expect(await call(branch, { type: 'read', value: 6 }, LONG)).toEqual({ readings: [...acknowledged, 6] })
    // The counter read here is the one a replay would move: a worker in this thread moves it.
    const here = await startBranch({ logic: logicModule('meter') })
    started.push(here)
    await call(here, { type: 'read', value: 1 })
    expect(effects.count).toBe(before + 1)
    await store.close()
  }, 60_000)

  it.each([
    ['snapshot', 'sync'],
    ['snapshot', 'batched'],
    ['journal', 'sync'],
    ['journal', 'batched']
  ] as const)('%s mode, %s: the state survives a crash of the worker and a new start', async (mode, durability) => {
    const store = new MemoryStore()
    const durable: DurableOptions = { store, id: 'm', mode, durability, snapshotEvery: 3 }
    let branch = await meter(isolation, durable)
    cast(branch, { type: 'read', value: 1 })
    await call(branch, { type: 'read', value: 2 })
    await expect(call(branch, { type: 'hang' }, LONG)).rejects.toBeInstanceOf(WorkerHungError)
    for (const value of [3, 4, 5]) cast(branch, { type: 'read', value })
    expect(await call(branch, { type: 'get' }, LONG)).toEqual({ readings: [1, 2, 3, 4, 5] })
    branch = await again(branch, () => meter(isolation, durable))
    expect(readings(branch)).toEqual([1, 2, 3, 4, 5])
    expect(await call(branch, { type: 'read', value: 6 }, LONG)).toEqual({ readings: [1, 2, 3, 4, 5, 6] })
  }, 60_000)

  it('callAll is written all or none: a batch whose worker crashes leaves nothing in the store', async () => {
    const store = new MemoryStore()
    const durable: DurableOptions = { store, id: 'batch', mode: 'journal' }
    let branch = await meter(isolation, durable)
    await callAll(branch, [{ type: 'read', value: 1 }, { type: 'read', value: 2 }])
    expect(await store.lastSeq('batch')).toBe(2)
    await expect(callAll(branch, [{ type: 'read', value: 3 }, { type: 'hang' }], LONG)).rejects.toBeInstanceOf(WorkerHungError)
    expect(await call(branch, { type: 'get' }, LONG)).toEqual({ readings: [1, 2] })
    const journal = (await store.read('batch', { fromSeq: 1 })).map((entry) => entry.payload)
    expect(journal).toEqual([{ type: 'read', value: 1 }, { type: 'read', value: 2 }, { type: 'get' }])
    branch = await again(branch, () => meter(isolation, durable))
    expect(readings(branch)).toEqual([1, 2])
  }, 60_000)
})

describe('durable with isolation: a store that fails', () => {
  it("rejects the write's call with the store's error, and the worker starts again from what the store holds", async () => {
    const store = new FlakyStore()
    const branch = await meter('thread', { store, id: 'flaky', mode: 'journal' })
    await call(branch, { type: 'read', value: 1 })
    store.down = true
    await expect(call(branch, { type: 'read', value: 2 }, LONG)).rejects.toBeInstanceOf(StoreUnavailableError)
    store.down = false
    expect(await call(branch, { type: 'read', value: 3 }, LONG)).toEqual({ readings: [1, 3] })
    expect((await store.read('flaky', { fromSeq: 1 })).map((entry) => entry.payload)).toEqual([
      { type: 'read', value: 1 },
      { type: 'read', value: 3 }
    ])
  }, 60_000)
})

describe('durable with isolation: events the actor makes itself', () => {
  it("are journaled as the worker processed them (an invoked promise's result, a delayed event) and replayed here", async () => {
    const store = new MemoryStore()
    const fetcher = () => startBranch({ logic: logicModule('fetcher'), isolation: 'thread', durable: { store, id: 'fetcher', mode: 'journal' } })
    const finisher = () => startBranch({ logic: logicModule('finisher'), isolation: 'thread', durable: { store, id: 'finisher', mode: 'journal' } })
    let fetching: AnyBranch = await fetcher()
    let timing: AnyBranch = await finisher()
    started.push(fetching, timing)
    expect(await call(fetching, { type: 'fetch', value: 'a' })).toBe('loaded a')
    const timed = next(timing, 'state')
    cast(timing, { type: 'time' }) // 100 is added after 50 ms, by the worker's own delayed event
    await timed
    const types = async (id: string) => (await store.read(id, { fromSeq: 1 })).map((entry) => entry.type)
    expect(await types('fetcher')).toEqual(['fetch', 'xstate.done.actor.0.(machine).loading'])
    expect(await types('finisher')).toEqual(['time', 'xstate.after.50.(machine).timing'])
    fetching = await again(fetching, fetcher)
    timing = await again(timing, finisher)
    started.push(fetching, timing)
    expect(fetching.state()).toEqual({ pending: null, fetched: 1 })
    expect(await call(timing, { type: 'get' })).toEqual({ count: 100 })
  }, 60_000)
})

describe('durable with isolation: snapshot mode', () => {
  it("takes only an event's type from the thread: an event the actor makes itself may hold what cannot cross", async () => {
    const store = new MemoryStore()
    const branch = await startBranch({ logic: logicModule('opener'), isolation: 'thread', durable: { store, id: 'opener', mode: 'snapshot' } })
    started.push(branch)
    const crashes: unknown[] = []
    branch.on('restart', (report) => crashes.push(report))
    cast(branch, { type: 'open' })
    await expect.poll(() => branch.state(), LONG).toEqual({ opened: 2 })
    expect(crashes).toEqual([])
    expect((await store.loadSnapshot('opener'))?.data).toMatchObject({ context: { opened: 2 } })
  }, 60_000)
})

describe('durable with isolation: snapshots with a live child', () => {
  it('writes the state the thread persisted, its invoked child as a record (not persisted again here), and a start recovers it', async () => {
    const store = new MemoryStore()
    const fetcher = () => startBranch({ logic: logicModule('fetcher'), isolation: 'thread', durable: { store, id: 'fetcher', mode: 'snapshot' } })
    let fetching: AnyBranch = await fetcher()
    started.push(fetching)
    expect(await call(fetching, { type: 'fetch', value: 'a' }, LONG)).toBe('loaded a')
    expect(await call(fetching, { type: 'fetch', value: 'b' }, LONG)).toBe('loaded b')
    fetching = await again(fetching, fetcher)
    started.push(fetching)
    expect(fetching.state()).toEqual({ pending: null, fetched: 2 })
  }, 60_000)
})

describe('durable with isolation: passivation', () => {
  it('passivates once its writes are settled and comes back with its state, journaling on', async () => {
    const store = new MemoryStore()
    const branch = await meter('thread', { store, id: 'idle', mode: 'journal', durability: 'batched' }, { idleTimeout: 50 })
    cast(branch, { type: 'read', value: 1 })
    await call(branch, { type: 'read', value: 2 })
    await next(branch, 'passivate')
    expect(await store.lastSeq('idle')).toBe(2)
    expect(await call(branch, { type: 'read', value: 3 }, LONG)).toEqual({ readings: [1, 2, 3] })
    expect(await store.lastSeq('idle')).toBe(3)
  }, 60_000)
})

describe('a keyed pool of isolated, durable workers', () => {
  it('seeds a key (computed here, started over there), keeps it in the store, and refuses a seed that cannot cross', async () => {
    const store = new MemoryStore()
    const pool = await startPool({ id: 'meters', logic: logicModule('meter'), isolation: 'thread', durable: { store, mode: 'journal' } })
    try {
      await pool.seed('a', { readings: [7] })
      expect(await pool.call('a', { type: 'read', value: 8 }, LONG)).toEqual({ readings: [7, 8] })
      const refused = await pool.seed('b', { readings: [() => 1] }).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(ChildStartError)
      expect((refused as Error).cause).toBeInstanceOf(UncloneableError)
      expect(((refused as Error).cause as UncloneableError).path).toBe('state.readings[0]')
    } finally {
      await pool.stop()
    }
    const again = await startPool({ id: 'meters', logic: logicModule('meter'), isolation: 'thread', durable: { store, mode: 'journal' } })
    try {
      expect(await again.call('a', { type: 'get' }, LONG)).toEqual({ readings: [7, 8] })
    } finally {
      await again.stop()
    }
  }, 60_000)
})

describe('durable with isolation: snapshots as changes (compactEvery)', () => {
  it("writes the changes of the states the thread reports, and a start recovers them exactly", async () => {
    const store = new MemoryStore()
    const durable: DurableOptions = { store, id: 'changes', mode: 'snapshot', compactEvery: 3 }
    let branch = await meter('thread', durable)
    for (let value = 1; value <= 7; value++) await call(branch, { type: 'read', value })
    expect((await store.read('changes')).map((r) => r.type)).toEqual(Array(7).fill('keepsake.change'))
    branch = await again(branch, () => meter('thread', durable))
    expect(readings(branch)).toEqual([1, 2, 3, 4, 5, 6, 7])
  }, 60_000)
})

describe('durable with isolation: the determinism check', () => {
  it('replays each segment here and compares it with the states the thread reported', async () => {
    const store: KeeperStore = new MemoryStore()
    const quiet = await meter('thread', { store, id: 'quiet', mode: 'journal', snapshotEvery: 2 })
    const divergences: unknown[] = []
    quiet.on('divergence', (error: unknown) => divergences.push(error))
    for (let value = 1; value <= 6; value++) await call(quiet, { type: 'read', value })
    await quiet.stop() // its writes, snapshots included, are settled
    expect(divergences).toEqual([])

    const noisy = await startBranch({ logic: logicModule('noisy'), isolation: 'thread', durable: { store, id: 'noisy', mode: 'journal', snapshotEvery: 2 } })
    started.push(noisy)
    const divergence = next<ReplayDivergenceError>(noisy, 'divergence')
    for (let value = 1; value <= 4; value++) cast(noisy, { type: 'read', value })
    expect(await divergence).toBeInstanceOf(ReplayDivergenceError)
  }, 60_000)
})
