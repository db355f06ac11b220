import type { Snapshot } from 'xstate'
import { applyChanges, type Change, type ChangePath } from '../../shared/changes'
import { RecoveryError } from '../../shared/errors'
import type { KeeperStore, PayloadRecord, StoredSnapshot } from '../../stores/KeeperStore'
import { eachAfter, isActivationMarker, readForRecovery } from './journal'

/**
 * Snapshot mode with `compactEvery`: each message's state is journaled as
 * what changed since the state before (a change record), and a whole
 * snapshot is saved every `compactEvery` of them. A change record holds the
 * state in xstate's persisted form without its context (small: a machine's
 * state value, its children), and the context's changes (`shared/changes`),
 * or null when the context became undefined.
 */

/** The type of a change record in a journal: reserved, as a logic's event of this type would be taken for one. */
export const CHANGE_RECORD = 'keepsake.change'

/** A change record's payload. */
export interface ChangeRecord {
  readonly type: typeof CHANGE_RECORD
  /** The state, persisted, without its context. */
  readonly state: Snapshot<unknown>
  /** The context's changes since the record (or snapshot) before; null: it is undefined now. */
  readonly changes: readonly Change[] | null
  /**
   * The seq of the state it leaves. It equals the record's journal position
   * until a writer without `compactEvery` saved snapshots after it: the next
   * writer with it goes on at the journal's end, numbering states on from
   * the snapshot (see `withChangeRecords`). Records written before it was
   * kept have none: their position.
   */
  readonly at?: number
}

/**
 * The record of a state taken as `state` (persisted, context cut) and
 * `changes` (undefined for logic without a context), `context` being the
 * state's new context. Written as JSON, a change must give what a whole
 * snapshot would: JSON leaves out an object's key whose value is undefined,
 * so a change setting one to undefined is recorded as that key deleted.
 */
export function changeRecord(state: Snapshot<unknown>, changes: readonly Change[] | undefined, context: unknown, seq: number): ChangeRecord {
  if (changes === undefined || context === undefined) return { type: CHANGE_RECORD, state, changes: null, at: seq }
  const stored = changes.some(setsUndefined) ? changes.map((change) => (setsUndefined(change) && !Array.isArray(valueAt(context, change[1].slice(0, -1))) ? (['d', change[1]] as const) : change)) : changes
  return { type: CHANGE_RECORD, state, changes: stored, at: seq }
}

/**
 * A record that changes nothing, leaving `state` (persisted) as state `seq`:
 * what a writer appends to take the journal over from one that may still
 * write change records (see `Durability.recover`).
 */
export function unchangedRecord(state: Snapshot<unknown>, seq: number): ChangeRecord {
  const { context: _context, ...rest } = state as Snapshot<unknown> & { context?: unknown }
  return { type: CHANGE_RECORD, state: rest as Snapshot<unknown>, changes: [], at: seq }
}

function setsUndefined(change: Change): boolean {
  return change[0] === 's' && change[2] === undefined && change[1].length > 0
}

/** The value at `path` under `root`. */
function valueAt(root: unknown, path: ChangePath): unknown {
  let value = root
  for (const key of path) value = (value as Record<string | number, unknown>)[key]
  return value
}

/** Whether a journaled payload is a change record. */
export function isChangeRecord(payload: unknown): payload is ChangeRecord {
  return (payload as { type?: unknown } | null | undefined)?.type === CHANGE_RECORD
}

/**
 * The persisted state `record` leaves, applied to `before` (persisted, not
 * written: what it shares with the result is copied on write). Throws when
 * the changes do not fit `before`.
 */
export function applyChangeRecord(before: Snapshot<unknown>, record: ChangeRecord): Snapshot<unknown> {
  if (typeof record.state !== 'object' || record.state === null || (record.changes !== null && !Array.isArray(record.changes))) {
    throw new Error('it is not a change record (a state and a list of changes)')
  }
  if (record.changes === null) return record.state
  const context = applyChanges((before as { context?: unknown }).context, record.changes)
  return { ...record.state, context } as unknown as Snapshot<unknown>
}

/** How the last record of a journal was written: see `ChangeTail.lastBy`. */
export type JournalFormat = 'changes' | 'journal' | 'snapshot'

/** What a snapshot-mode start, or `migrateStore`, finds in an id's journal from its newest snapshot on. */
export interface ChangeTail {
  /** The newest snapshot with the change records after it applied, its seq the state the last leaves; the snapshot itself when none follows. */
  readonly stored: StoredSnapshot | undefined
  /** The journal's last position (0: empty). */
  readonly end: number
  /**
   * Who wrote the journal's last record: a writer with `compactEvery`
   * ('changes': a change record or its activation marker), journal mode
   * ('journal': an event or its marker), or a snapshot-mode writer without
   * `compactEvery` ('snapshot': its marker); undefined when it is empty.
   */
  readonly lastBy: JournalFormat | undefined
  /** The state seq that last record stands for. */
  readonly lastState: number
}

/** Who wrote a journal record (see `ChangeTail.lastBy`), and the state seq it stands for. */
function formatOf(entry: PayloadRecord): { readonly by: JournalFormat; readonly state: number } {
  const { payload, seq } = entry
  if (isChangeRecord(payload)) return { by: 'changes', state: typeof payload.at === 'number' ? payload.at : seq }
  if (!isActivationMarker(payload)) return { by: 'journal', state: seq }
  const marker = payload as { mode?: unknown; seq?: unknown }
  const by = marker.mode === 'changes' || marker.mode === 'snapshot' ? marker.mode : 'journal'
  return { by, state: typeof marker.seq === 'number' ? marker.seq : seq }
}

/**
 * Reads `id`'s journal, which ends at `end`, from `found` (its newest whole
 * snapshot) on. The
 * change records after it are applied when the journal was last written
 * with `compactEvery`: they are the last ones, numbered on from the
 * snapshot (each record's `at`), so the first is `found.seq - lastState`
 * records before the end. Rejects with `RecoveryError` naming a record that
 * is not the next state, no change record, one without a snapshot before
 * it, one of another version than its snapshot, or one that does not fit
 * the state.
 */
export async function withChangeRecords(store: KeeperStore, id: string, found: StoredSnapshot | undefined, end: number): Promise<ChangeTail> {
  const [last] = end === 0 ? [] : await readForRecovery(id, () => (store.readPayloads ? store.readPayloads(id, { fromSeq: end, limit: 1 }) : store.read(id, { fromSeq: end, limit: 1 })))
  if (last === undefined) return { stored: found, end, lastBy: undefined, lastState: 0 }
  const { by, state: lastState } = formatOf(last)
  const from = found?.seq ?? 0
  if (by !== 'changes' || lastState <= from) return { stored: found, end, lastBy: by, lastState }
  const first = end - (lastState - from) + 1
  if (!found || first < 1) throw new RecoveryError(id, end, 'a change record has no snapshot before it')
  let data = found.data as unknown as Snapshot<unknown>
  let state = from
  // Records appended since the end was read are taken in too: a writer goes on from the last one read.
  const read = await eachAfter(store, id, first - 1, (entry) => {
    const record = formatOf(entry)
    if (!isChangeRecord(entry.payload) && !isActivationMarker(entry.payload)) throw new RecoveryError(id, entry.seq, `the journal holds an event where a change record (${CHANGE_RECORD}) belongs`)
    if (record.state !== ++state) throw new RecoveryError(id, entry.seq, `the record stands for state ${record.state} where state ${state} belongs`)
    if (!isChangeRecord(entry.payload)) return
    if (entry.version !== found.version) throw new RecoveryError(id, entry.seq, `the change record has version ${entry.version} and its snapshot ${found.version}`)
    try {
      data = applyChangeRecord(data, entry.payload)
    } catch (error) {
      throw new RecoveryError(id, entry.seq, "the change record doesn't fit the state before it", error)
    }
  })
  return { stored: { ...found, seq: state, data: data as unknown as StoredSnapshot['data'] }, end: read, lastBy: by, lastState: state }
}
