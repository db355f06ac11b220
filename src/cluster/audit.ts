import { ACTIVATION_MARKER, isActivationMarker } from '../keeper/durable/journal'
import type { KeeperStore, StoredEvent } from '../stores/KeeperStore'
import { readName } from './keys'

/** One activation of a durable cluster-pool key, as its marker in the store records it. */
export interface KeyActivation {
  /** The node that activated the key. */
  readonly node: string
  /** That node's life (its `inc`, new at each start). */
  readonly inc: string
  /** The revision of the key's placement record it activated under. */
  readonly epoch: number
  /** The sequence number its marker was written at (journal mode: the journal's; snapshot mode: the snapshot's). */
  readonly seq: number
}

/** What `auditActivations` found for one key. */
export interface ActivationAudit {
  /** The key's id in the store, `<pool>/<key>`. */
  readonly id: string
  /** Its activations, in the order their markers were written. */
  readonly activations: readonly KeyActivation[]
  /** Journal mode (and snapshot mode with `compactEvery`): records written after the first marker, each attributed to the activation that wrote it. */
  readonly writes: number
  /** What breaks the rule "one activation at a time", one sentence each; empty if nothing does. */
  readonly problems: readonly string[]
}

const PAGE = 10_000
const STAMP = `${ACTIVATION_MARKER}:`

/**
 * Audits, from the store alone, that a durable cluster-pool key never had two
 * activations writing at once. Each activation's first write is a marker
 * fenced on the state it recovered, recording its node, life and epoch; in
 * journal mode every event it appends after that is tagged with its epoch.
 * The audit lists the activations in marker order and reports as a problem:
 * a marker whose epoch is not newer than the one before (an activation that
 * began after a newer one), and, in journal mode, an event written by an
 * activation other than the latest one whose marker precedes it (a write
 * accepted from an activation after the next one's marker) or by no
 * activation at all after the first marker. In snapshot mode the store keeps
 * only the newest snapshot, so writes can't be attributed one by one: each is
 * fenced on the one before, and the audit checks the markers' order and that
 * the kept snapshot is not older than the last marker.
 *
 * @example
 * const audit = await auditActivations(store, 'accounts', 'acct-7')
 * if (audit.problems.length > 0) throw new Error(audit.problems.join('\n'))
 */
export async function auditActivations(store: KeeperStore, pool: string, key: string): Promise<ActivationAudit> {
  readName(pool, 'pool')
  readName(key, 'key')
  const id = `${pool}/${key}`
  const activations: KeyActivation[] = []
  const problems: string[] = []
  let journaled = false
  let writes = 0
  for (let from = 1; ; ) {
    const page = await store.read(id, { fromSeq: from, limit: PAGE })
    for (const event of page) {
      if (isActivationMarker(event.payload)) {
        const marker = readMarker(event)
        const last = activations.at(-1)
        if (last && marker.epoch <= last.epoch) {
          problems.push(`the activation on node "${marker.node}" (epoch ${marker.epoch}) began at seq ${marker.seq}, after one of epoch ${last.epoch} on node "${last.node}"`)
        }
        if (last && marker.seq <= last.seq) problems.push(`the marker of epoch ${marker.epoch} is at seq ${marker.seq}, not after the previous one's (${last.seq})`)
        // Snapshot mode with compactEvery ('changes') journals its states: attributed one by one too.
        const mode = (event.payload as { mode?: unknown }).mode
        journaled ||= mode === 'journal' || mode === 'changes'
        activations.push(marker)
        continue
      }
      const current = activations.at(-1)
      if (!current) continue
      writes++
      const stamp = event.tags.find((tag) => tag.startsWith(STAMP))
      const writer = stamp === undefined ? undefined : Number(stamp.slice(STAMP.length))
      if (writer === undefined) problems.push(`event ${event.seq} was written after the marker of epoch ${current.epoch} by no marked activation`)
      else if (writer !== current.epoch) {
        problems.push(`event ${event.seq} was written by the activation of epoch ${writer} after the marker of epoch ${current.epoch} (node "${current.node}", seq ${current.seq})`)
      }
    }
    if (page.length < PAGE) break
    from = (page.at(-1) as StoredEvent).seq + 1
  }
  const last = activations.at(-1)
  if (last && !journaled) {
    const kept = await store.loadSnapshot(id)
    if (!kept || kept.seq < last.seq) problems.push(`the kept snapshot (seq ${kept?.seq ?? 'none'}) is older than the last marker (seq ${last.seq})`)
  }
  return { id, activations, writes, problems }
}

function readMarker(event: StoredEvent): KeyActivation {
  const p = event.payload as Record<string, unknown>
  const text = (v: unknown) => (typeof v === 'string' ? v : String(v))
  return { node: text(p.node), inc: text(p.inc), epoch: Number(p.epoch), seq: Number(p.seq) }
}
