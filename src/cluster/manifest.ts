import type { KV } from '@nats-io/kv'
import type { Records } from './sealed'

// A node's manifest of a cluster pool's durable keys (docs/design/cluster-pools.md, section 6, eager): what the
// live nodes read once its heartbeat lapses, to start its keys at once rather than on their next message.

/** Keys per chunk: a chunk is one KV record, rewritten whole when one of its keys changes. */
export const MANIFEST_CHUNK = 256

/** A key active on a node, at the revision of its placement record (the key's epoch). */
export interface ManifestEntry {
  readonly key: string
  readonly epoch: number
}

/** Chunk `n` of `node`'s manifest of `pool`, in the placements bucket (apart from the records, `p.<pool>.<key>`). */
export function manifestKey(pool: string, node: string, n: number): string {
  return `m.${pool}.${node}.${n}`
}

/**
 * One node's manifest of one pool: its active keys with their epochs, in
 * chunks `m.<pool>.<node>.<n>` of the placements bucket, signed like the
 * records when the cluster has a key, each naming the node's life. Written
 * by the node (only the chunks that changed), read by the others once its
 * heartbeat lapses. A chunk from another life (the node restarted) is
 * ignored; a reader trusts no entry more than its record: a key is taken by
 * compare-and-set on the record at the entry's epoch.
 */
export class Manifest {
  readonly #kv: KV
  readonly #records: Records
  readonly #pool: string
  readonly #self: { readonly node: string; readonly inc: string }
  /** What each chunk written holds, as written (its text before signing). */
  #written: string[] = []

  constructor(kv: KV, records: Records, pool: string, self: { readonly node: string; readonly inc: string }) {
    this.#kv = kv
    this.#records = records
    this.#pool = pool
    this.#self = self
  }

  /** Writes `entries` as this node's manifest: the chunks that changed, then deletes those beyond the last. */
  async write(entries: readonly ManifestEntry[]): Promise<void> {
    const texts: string[] = []
    for (let i = 0; i < entries.length; i += MANIFEST_CHUNK) {
      const keys = entries.slice(i, i + MANIFEST_CHUNK).map(({ key, epoch }) => [key, epoch])
      texts.push(JSON.stringify({ inc: this.#self.inc, keys }))
    }
    await Promise.all(
      texts.map(async (text, n) => {
        if (this.#written[n] === text) return
        const k = manifestKey(this.#pool, this.#self.node, n)
        await this.#kv.put(k, this.#records.write(k, text))
        this.#written[n] = text
      })
    )
    await this.#trim(texts.length)
  }

  /** Deletes this node's manifest (it left: its keys were moved or released). */
  async clear(): Promise<void> {
    await this.#trim(0)
  }

  async #trim(chunks: number): Promise<void> {
    const beyond = this.#written.length
    for (let n = chunks; n < beyond; n++) await this.#kv.delete(manifestKey(this.#pool, this.#self.node, n))
    this.#written.length = Math.min(this.#written.length, chunks)
  }

  /**
   * The entries of `node`'s manifest of this pool written in its life `inc`:
   * its chunks listed, then read; chunks that can't be trusted (a bad
   * signature), are malformed or are from another life are left out.
   */
  async read(node: string, inc: string): Promise<ManifestEntry[]> {
    const prefix = manifestKey(this.#pool, node, 0).slice(0, -1)
    const names: string[] = []
    for await (const k of await this.#kv.keys(`${prefix}>`)) names.push(k)
    const entries: ManifestEntry[] = []
    for (const k of names) {
      const entry = await this.#kv.get(k)
      const text = entry && entry.operation === 'PUT' ? this.#records.read(k, entry.string()) : undefined
      entries.push(...readChunk(text, inc))
    }
    return entries
  }
}

/** A chunk's entries if it is of life `inc` and well formed; none otherwise. */
function readChunk(text: string | undefined, inc: string): ManifestEntry[] {
  if (text === undefined) return []
  try {
    const o = JSON.parse(text) as { inc?: unknown; keys?: unknown }
    if (o?.inc !== inc || !Array.isArray(o.keys)) return []
    return (o.keys as unknown[]).flatMap((pair) => {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Number.isSafeInteger(pair[1]) || (pair[1] as number) < 1) return []
      return [{ key: pair[0], epoch: pair[1] as number }]
    })
  } catch {
    return []
  }
}
