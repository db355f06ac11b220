import type { KV } from '@nats-io/kv'
import { isWrongRevision } from './leases'
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
  /** Whether chunks a former life of this node left are known (listed at the first write, to be trimmed with the rest). */
  #listed = false

  constructor(kv: KV, records: Records, pool: string, self: { readonly node: string; readonly inc: string }) {
    this.#kv = kv
    this.#records = records
    this.#pool = pool
    this.#self = self
  }

  /** Writes `entries` as this node's manifest: the chunks that changed, then deletes those beyond the last. */
  async write(entries: readonly ManifestEntry[]): Promise<void> {
    if (!this.#listed) {
      // A former life of this node id may have left more chunks than this one writes: marked written (as nothing
      // this life wrote), so the trim below deletes those beyond the last.
      for (const k of await this.#chunks(this.#self.node)) this.#written[chunkOf(k)] ??= ''
      this.#listed = true
    }
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
    for (let n = chunks; n < beyond; n++) if (this.#written[n] !== undefined) await this.#kv.delete(manifestKey(this.#pool, this.#self.node, n))
    this.#written.length = Math.min(this.#written.length, chunks)
  }

  /**
   * The entries of `node`'s manifest of this pool written in its life `inc`:
   * its chunks listed, then read; chunks that can't be trusted (a bad
   * signature), are malformed or are from another life are left out.
   */
  async read(node: string, inc: string): Promise<ManifestEntry[]> {
    const entries: ManifestEntry[] = []
    for (const k of await this.#chunks(node)) {
      const entry = await this.#kv.get(k)
      const text = entry && entry.operation === 'PUT' ? this.#records.read(k, entry.string()) : undefined
      entries.push(...readChunk(text, inc))
    }
    return entries
  }

  /**
   * Deletes the chunks of `node`'s manifest written in its life `inc` (the
   * node died and its keys were handled), each by compare-and-set on the
   * revision read: a chunk the node wrote since, back in a new life, stays,
   * as do chunks of other lives and those that can't be trusted. Resolves
   * with how many it deleted.
   */
  async remove(node: string, inc: string): Promise<number> {
    let removed = 0
    for (const k of await this.#chunks(node)) {
      const entry = await this.#kv.get(k)
      const text = entry && entry.operation === 'PUT' ? this.#records.read(k, entry.string()) : undefined
      if (!entry || parseChunk(text)?.inc !== inc) continue
      try {
        await this.#kv.delete(k, { previousSeq: entry.revision })
        removed++
      } catch (error) {
        if (!isWrongRevision(error)) throw error
      }
    }
    return removed
  }

  /** The bucket keys of `node`'s chunks of this pool. */
  async #chunks(node: string): Promise<string[]> {
    const prefix = manifestKey(this.#pool, node, 0).slice(0, -1)
    const names: string[] = []
    for await (const k of await this.#kv.keys(`${prefix}>`)) names.push(k)
    return names
  }
}

/** The chunk number of a chunk's bucket key (its last token). */
function chunkOf(k: string): number {
  return Number(k.slice(k.lastIndexOf('.') + 1))
}

/** A chunk's text parsed, if it is JSON naming a life. */
function parseChunk(text: string | undefined): { readonly inc: string; readonly keys?: unknown } | undefined {
  if (text === undefined) return undefined
  try {
    const o = JSON.parse(text) as { inc?: unknown; keys?: unknown } | null
    return typeof o?.inc === 'string' ? { inc: o.inc, keys: o.keys } : undefined
  } catch {
    return undefined
  }
}

/** A chunk's entries if it is of life `inc` and well formed; none otherwise. */
function readChunk(text: string | undefined, inc: string): ManifestEntry[] {
  const o = parseChunk(text)
  if (o?.inc !== inc || !Array.isArray(o.keys)) return []
  return (o.keys as unknown[]).flatMap((pair) => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Number.isSafeInteger(pair[1]) || (pair[1] as number) < 1) return []
    return [{ key: pair[0], epoch: pair[1] as number }]
  })
}
