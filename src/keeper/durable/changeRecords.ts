import type { Snapshot } from 'xstate'
import { applyChanges, type Change, type ChangePath } from '../../shared/changes'
import { RecoveryError } from '../../shared/errors'
import type { KeeperStore, StoredSnapshot } from '../../stores/KeeperStore'
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
}

/**
 * The record of a state taken as `state` (persisted, context cut) and
 * `changes` (undefined for logic without a context), `context` being the
 * state's new context. Written as JSON, a change must give what a whole
 * snapshot would: JSON leaves out an object's key whose value is undefined,
 * so a change setting one to undefined is recorded as that key deleted.
 */
export function changeRecord(state: Snapshot<unknown>, changes: readonly Change[] | undefined, context: unknown): ChangeRecord {
  if (changes === undefined || context === undefined) return { type: CHANGE_RECORD, state, changes: null }
  const stored = changes.some(setsUndefined) ? changes.map((change) => (setsUndefined(change) && !Array.isArray(at(context, change[1].slice(0, -1))) ? (['d', change[1]] as const) : change)) : changes
  return { type: CHANGE_RECORD, state, changes: stored }
}

function setsUndefined(change: Change): boolean {
  return change[0] === 's' && change[2] === undefined && change[1].length > 0
}

/** The value at `path` under `root`. */
function at(root: unknown, path: ChangePath): unknown {
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

/**
 * `found`, the newest whole snapshot of `id`, with the change records after
 * it applied, numbered as the last of them (`found` itself when none
 * follows), and `end`, the journal's last seq: what a start and
 * `migrateStore` read. Rejects with `RecoveryError` naming a record that is
 * no change record, one without a snapshot before it, one of another
 * version than its snapshot, or one that does not fit the state.
 */
export async function withChangeRecords(
  store: KeeperStore,
  id: string,
  found: StoredSnapshot | undefined
): Promise<{ readonly stored: StoredSnapshot | undefined; readonly end: number }> {
  let data = found?.data as Snapshot<unknown> | undefined
  const end = await eachAfter(store, id, found?.seq ?? 0, (entry) => {
    if (isActivationMarker(entry.payload)) return
    if (!isChangeRecord(entry.payload)) throw new RecoveryError(id, entry.seq, `the journal holds an event where a change record (${CHANGE_RECORD}) belongs`)
    if (!found || data === undefined) throw new RecoveryError(id, entry.seq, 'a change record has no snapshot before it')
    if (entry.version !== found.version) throw new RecoveryError(id, entry.seq, `the change record has version ${entry.version} and its snapshot ${found.version}`)
    try {
      data = applyChangeRecord(data, entry.payload)
    } catch (error) {
      throw new RecoveryError(id, entry.seq, "the change record doesn't fit the state before it", error)
    }
  })
  return { stored: found && end > found.seq ? { ...found, seq: end, data: data as unknown as StoredSnapshot['data'] } : found, end }
}

/** How many records `changesFollow` reads at a time: markers are few, so the first page tells. */
const PEEK = 16

/**
 * Whether `id`'s journal goes on after `seq` with change records (snapshot
 * mode with `compactEvery`) rather than events (journal mode) or nothing:
 * the first record that is no activation marker says.
 */
export async function changesFollow(store: KeeperStore, id: string, seq: number): Promise<boolean> {
  for (let from = seq + 1; ; ) {
    const page = await readForRecovery(id, () => store.read(id, { fromSeq: from, limit: PEEK }))
    const first = page.find((entry) => !isActivationMarker(entry.payload))
    if (first) return isChangeRecord(first.payload)
    const last = page[page.length - 1]
    if (page.length < PEEK || last === undefined) return false
    from = last.seq + 1
  }
}
