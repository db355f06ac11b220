import type { AnyActorLogic } from 'xstate'
import type { EventObject, Snapshot } from 'xstate'
import { startBranch, type AnyBranch, type KeeperStore } from '../src/index'
import type { PayloadRecord } from '../src/stores/KeeperStore'
import { inertScope, revive } from '../src/keeper/durable/replay'
import { interleave, type Schedule, type Task } from './harness'
import { countOf, durableLogic, durableReducer, incs, openSqlite, persistedAt, reducerPersistedAt } from './journal'
import type { Profile } from './profile'
import { p50Under, ratioAtMost, row, type Row, type Section } from './report'
import { summarizeTask, type Measure } from './stats'

/** Events after the newest snapshot: with `snapshotEvery: 1000`, the most a recovery replays (the next snapshot was due). */
const TAIL = 1_000
/** Events per setup transaction. */
const CHUNK = 50_000
/** What recovery reads per page (Durability's PAGE), so the raw read does the same queries. */
const PAGE = 1_000

const count = (n: number) => n.toLocaleString('en-US')
const journalOf = (n: number) => `journal-${n}`
const reducerJournalOf = (n: number) => `reducer-journal-${n}`

/**
 * Writes, untimed, a journal of `n` incs for each length, as a branch with
 * `snapshotEvery: 0` leaves it: the initial state saved at seq 0, then the
 * events. All in one file, so every length is read from the same tables.
 */
async function writeJournals(store: KeeperStore, lengths: readonly number[]): Promise<void> {
  for (const n of lengths) await writeJournal(store, journalOf(n), persistedAt(0), n)
}

/** One journal of `n` incs after `initial` saved at seq 0. */
async function writeJournal(store: KeeperStore, id: string, initial: unknown, n: number): Promise<void> {
  await store.saveSnapshot(id, { seq: 0, data: initial })
  for (let seq = 0; seq < n; seq += CHUNK) await store.appendBatch([{ id, expectedSeq: seq, events: incs(Math.min(CHUNK, n - seq)) }])
}

/** Saves each journal's snapshot `TAIL` events before its end, as `snapshotEvery: 1000` would have. */
async function snapshotJournals(store: KeeperStore, lengths: readonly number[]): Promise<void> {
  for (const n of lengths) await store.saveSnapshot(journalOf(n), { seq: n - TAIL, data: persistedAt(n - TAIL) })
}

/** One sample = `startBranch` until it resolves, recovered; the branch is stopped untimed. */
function recoverTask(name: string, store: KeeperStore, id: string, expected: number, logic: AnyActorLogic = durableLogic): Task {
  let live: AnyBranch | undefined
  const stop = async () => {
    await live?.stop()
    live = undefined
  }
  return {
    name,
    async: true,
    beforeEach: stop,
    after: stop,
    fn: async () => {
      live = await startBranch({ logic, durable: { store, id, mode: 'journal' } })
      const got = countOf(live.state())
      if (got !== expected) throw new Error(`${id} recovered a count of ${got}, expected ${expected}`)
    }
  }
}

/** The floor of a replay: reading the same events, page by page, and nothing else. */
function readTask(name: string, store: KeeperStore, id: string, expected: number): Task {
  return {
    name,
    async: true,
    fn: async () => {
      let read = 0
      for (let page = await store.read(id, { limit: PAGE }); page.length > 0; page = await store.read(id, { fromSeq: read + 1, limit: PAGE })) {
        read += page.length
      }
      if (read !== expected) throw new Error(`read ${read} events of ${id}, expected ${expected}`)
    }
  }
}

/**
 * The floor of a replay with the work it can't skip: the same pages read with
 * `store.readPayloads` (what recovery reads), each event applied by the
 * logic's own `transition` in an inert scope, and nothing else (no checks,
 * no adapter, no gap detection).
 */
function bareReplayTask(name: string, store: KeeperStore, id: string, expected: number, logic: AnyActorLogic = durableLogic): Task {
  return {
    name,
    async: true,
    fn: async () => {
      const scope = inertScope(logic)
      let state = revive(logic, scope, (await store.loadSnapshot(id))?.data as Snapshot<unknown> | undefined, undefined)
      let seq = 0
      for (;;) {
        const page = await readPage(store, id, seq + 1)
        if (page.length === 0) break
        for (const entry of page) state = logic.transition(state, entry.payload as unknown as EventObject, scope) as Snapshot<unknown>
        seq = (page[page.length - 1] as { seq: number }).seq
      }
      const got = countOf((state as { context?: unknown }).context)
      if (got !== expected) throw new Error(`${id} replayed to a count of ${got}, expected ${expected}`)
    }
  }
}

/**
 * The floor under both: the journal's events already in memory (read and
 * parsed untimed, one object each, as a replay gets them), each applied by
 * the logic's own `transition` in an inert scope. No store, no checks: what
 * a replay of a machine costs before anything is read.
 */
async function transitionTask(name: string, store: KeeperStore, id: string, expected: number, logic: AnyActorLogic = durableLogic): Promise<Task> {
  const persisted = (await store.loadSnapshot(id))?.data as Snapshot<unknown> | undefined
  const events: EventObject[] = []
  for (let page = await readPage(store, id, 1); page.length > 0; page = await readPage(store, id, events.length + 1)) {
    for (const entry of page) events.push(entry.payload as unknown as EventObject)
  }
  return {
    name,
    async: true,
    fn: async () => {
      const scope = inertScope(logic)
      let state = revive(logic, scope, persisted, undefined)
      for (const event of events) state = logic.transition(state, event, scope) as Snapshot<unknown>
      const got = countOf((state as { context?: unknown }).context)
      if (got !== expected) throw new Error(`${id} transitioned to a count of ${got}, expected ${expected}`)
    }
  }
}

/** One page as recovery reads it: `readPayloads` where the store has it. */
function readPage(store: KeeperStore, id: string, fromSeq: number): Promise<readonly PayloadRecord[]> {
  return store.readPayloads ? store.readPayloads(id, { fromSeq, limit: PAGE }) : store.read(id, { fromSeq, limit: PAGE })
}

/** Recovery of each journal as written (no snapshot), against reading its events, against reading and applying them bare, and against applying them alone. */
async function replayRows(store: KeeperStore, lengths: readonly number[], schedule: Schedule): Promise<{ rows: Map<number, Row>; bare: Row[] }> {
  const rows = new Map<number, Row>()
  const bare: Row[] = []
  for (const n of lengths) {
    const tasks = [
      recoverTask('replay', store, journalOf(n), n),
      readTask('read', store, journalOf(n), n),
      bareReplayTask('bare', store, journalOf(n), n),
      await transitionTask('transition', store, journalOf(n), n)
    ]
    const pool = await interleave(tasks, schedule)
    const replay = summarizeTask(pool, 'replay', 'keepsake', n)
    const bareReplay = summarizeTask(pool, 'bare', 'readPayloads + xstate transition', n)
    rows.set(
      n,
      row({
        name: `recover ${count(n)} events, no snapshot`,
        subject: replay,
        floor: summarizeTask(pool, 'read', `store.read, pages of ${count(PAGE)}`, n),
        ...(n === 1_000_000 ? { target: p50Under(2000) } : {}),
        anchor: 'read back ~0.9-1M rows/s'
      })
    )
    bare.push(
      row({
        name: `recover ${count(n)} events, no snapshot, against a bare replay`,
        subject: replay,
        floor: bareReplay
      }),
      // What the target sits on: a bare replay over xstate's transition alone is the read's share.
      row({
        name: `bare replay of ${count(n)} events against xstate's transition alone (events in memory)`,
        subject: bareReplay,
        floor: summarizeTask(pool, 'transition', 'xstate transition only', n),
        ...(n === 1_000_000 ? { anchor: 'the 2 s target is under this floor if it takes over 2 s' } : {})
      })
    )
  }
  return { rows, bare }
}

/**
 * Recovery of the longest journal written by a `fromTransition` reducer: the
 * same events, a transition that costs ~0.2 µs instead of a machine's ~2.5 µs,
 * so what the line measures is keepsake's replay path and the store's read.
 */
async function reducerRow(store: KeeperStore, n: number, schedule: Schedule): Promise<Row> {
  const id = reducerJournalOf(n)
  await writeJournal(store, id, reducerPersistedAt(0), n)
  const pool = await interleave([recoverTask('replay', store, id, n, durableReducer), readTask('read', store, id, n)], schedule)
  return row({
    name: `recover ${count(n)} events, no snapshot, fromTransition reducer`,
    subject: summarizeTask(pool, 'replay', 'keepsake', n),
    floor: summarizeTask(pool, 'read', `store.read, pages of ${count(PAGE)}`, n),
    ...(n === 1_000_000 ? { target: p50Under(2000) } : {})
  })
}

/** Recovery of the same journals once a snapshot TAIL events before their end is saved. */
async function snapshotRows(store: KeeperStore, lengths: readonly number[], schedule: Schedule, replays: Map<number, Row>): Promise<Row[]> {
  await snapshotJournals(store, lengths)
  // Every length in the same rounds: "flat" is a comparison between them.
  const pool = await interleave(
    lengths.map((n) => recoverTask(`snapshot ${n}`, store, journalOf(n), n)),
    schedule
  )
  const withSnapshot = (n: number, label = 'keepsake') => summarizeTask(pool, `snapshot ${n}`, label, TAIL)
  const [shortest, longest] = [lengths[0] as number, lengths[lengths.length - 1] as number]
  return [
    ...lengths.map((n) =>
      row({
        name: `recover ${count(n)} events, snapshot at ${count(n - TAIL)}`,
        subject: withSnapshot(n),
        floor: { ...(replays.get(n)?.subject as Measure), label: 'keepsake, no snapshot' }
      })
    ),
    row({
      name: `recover with a snapshot ${count(TAIL)} events back: ${count(longest)} vs ${count(shortest)} events`,
      subject: withSnapshot(longest),
      floor: withSnapshot(shortest, `keepsake, ${count(shortest)} events`),
      target: ratioAtMost(1.3)
    })
  ]
}

/** Recovery against journal length, with no snapshot and with one TAIL events back. */
export async function recoverySection(dir: string, profile: Profile): Promise<Section> {
  const lengths = profile.journalLengths
  // No fsync for the untimed setup: synchronous changes how commits are flushed, not what is read.
  const store = await openSqlite(dir, 'journals', 'OFF')
  const setupStarted = performance.now()
  await writeJournals(store, lengths)
  const setupSeconds = (performance.now() - setupStarted) / 1000
  const [shortest, longest] = [lengths[0] as number, lengths[lengths.length - 1] as number]
  // Unrecorded, so the first recorded sample is not also the one that compiles the replay path.
  await interleave([recoverTask('warm-up', store, journalOf(shortest), shortest)], { rounds: 1, time: 0, iterations: 3, warmupTime: 0 })

  const { rows: replays, bare } = await replayRows(store, lengths, profile.recovery)
  const reducer = await reducerRow(store, longest, profile.recovery)
  const snapshots = await snapshotRows(store, lengths, profile.recovery, replays)
  await store.close()

  const growth = (replays.get(longest)?.subject.p50 ?? NaN) / (replays.get(shortest)?.subject.p50 ?? NaN)
  return {
    rows: [...replays.values(), ...bare, reducer, ...snapshots],
    notes: [
      "Recovery lines: one sample is `await startBranch({ logic, durable: { store, id, mode: 'journal' } })` " +
        "until it resolves with the state rebuilt (checked: the count equals the journal's length); the " +
        'branch is stopped outside the clock. The rate is events replayed per second: the whole journal ' +
        `without a snapshot, the ${count(TAIL)} after it with one.`,
      `One journal of the counter machine's \`inc\` per length (${lengths.map(count).join(', ')} events, the rows ` +
        `a durable branch writes), all in one SQLite file, written untimed with \`appendBatch\` of ${count(CHUNK)} ` +
        `events (${setupSeconds.toFixed(1)} s). First recovered as \`snapshotEvery: 0\` leaves a journal (the ` +
        `initial state saved at seq 0), then with a snapshot saved ${count(TAIL)} events before its end. The floor ` +
        `reads the same events with \`store.read\` in pages of ${count(PAGE)}, as recovery does, and nothing else. The ` +
        '"bare replay" floor reads them with `readPayloads` (as recovery does) and applies each with the logic\'s own ' +
        '`transition` in an inert scope: the work a replay cannot skip, so that ratio is keepsake\'s own part. ' +
        'The "transition only" floor under it applies the same events, read and parsed untimed and held in ' +
        'memory, with the same `transition` and nothing else: what the 2 s target sits on.',
      `Without a snapshot recovery took ${growth.toFixed(0)}x as long for ${count(longest)} events as for ` +
        `${count(shortest)} (${count(longest / shortest)}x the events); with one, "flat" is judged as within 1.3x ` +
        'across lengths.'
    ]
  }
}
