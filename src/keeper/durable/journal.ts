import { RecoveryError } from '../../shared/errors'
import { CorruptRecordError } from '../../stores/errors'
import type { KeeperStore, PayloadRecord } from '../../stores/KeeperStore'

/**
 * The type of an activation marker in a journal (see `Durability.mark`):
 * reserved, as recovery skips it rather than replaying it through the logic.
 */
export const ACTIVATION_MARKER = 'keepsake.activation'

/** Who began writing an id (see `Durability.mark`): JSON, recorded as the marker's payload. */
export type ActivationMark = Readonly<Record<string, string | number>>

/** Whether a journaled payload is an activation marker. */
export function isActivationMarker(payload: unknown): boolean {
  return (payload as { type?: unknown } | null | undefined)?.type === ACTIVATION_MARKER
}

/**
 * How many journal records a recovery reads at a time. Small enough that a
 * page's decoded records are garbage before many collections of the
 * transitions' garbage have copied them: replaying 1M machine events in pages
 * of 1,000 took ~0.9x the CPU of pages of 10,000 (bench/RESULTS.md, h/rec19).
 */
const PAGE = 1_000

/**
 * `read()` of a store's record of `id`, with a row that can't be decoded
 * (`CorruptRecordError`) turned into the `RecoveryError` a start fails with,
 * naming the id and seq.
 */
export async function readForRecovery<T>(id: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
    throw new RecoveryError(id, error.seq, `its stored ${error.record} is corrupt`, error)
  }
}

/**
 * Visits each record of `id`'s journal after `seq`, in order, a page at a
 * time; resolves with the seq of the last one (`seq` if there is none).
 * Rejects with `RecoveryError` where the journal has a gap, at the end too
 * (its recorded end says so). What recovery and `migrateStore` read.
 */
export async function eachAfter(store: KeeperStore, id: string, seq: number, visit: (entry: PayloadRecord) => void): Promise<number> {
  // Only seq, version and payload are needed: a store's readPayloads can be much faster than read.
  const readPage = (fromSeq: number): Promise<readonly PayloadRecord[]> =>
    readForRecovery(id, () => (store.readPayloads ? store.readPayloads(id, { fromSeq, limit: PAGE }) : store.read(id, { fromSeq, limit: PAGE })))
  // A gap at the end reads as a shorter journal: its recorded end tells. Read first, so that
  // events another writer appends meanwhile (it is then refused, and recovers) are no gap.
  const end = await readForRecovery(id, () => store.lastSeq(id))
  for (;;) {
    const page = await readPage(seq + 1)
    if (page.length === 0) break
    for (const entry of page) {
      // Gapless from the snapshot on: each record is the one after the last (O(1) per record).
      if (entry.seq !== seq + 1) throw new RecoveryError(id, seq + 1, `the journal has no event ${seq + 1} (the next one stored is ${entry.seq})`)
      visit(entry)
      seq = entry.seq
    }
  }
  if (end > seq) throw new RecoveryError(id, seq + 1, `the journal ends at ${end} but has no event ${seq + 1}`)
  return seq
}
