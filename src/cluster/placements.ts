import type { KV, KvEntry } from '@nats-io/kv'
import { placementKey, placementKeyOf } from './keys'
import { isWrongRevision, type Self } from './leases'
import type { Records } from './sealed'

/** Records a listing reads at once. */
const LIST_READS = 32

/** Where a key of a cluster pool is active: a node in one of its lives, at a revision of its record (the key's epoch). */
export interface Placement {
  readonly node: string
  readonly inc: string
  readonly epoch: number
}

/**
 * The placement records of one cluster pool, in the cluster's placements
 * bucket: one per active key, written when it is placed or released, never
 * renewed (a record is valid while its node's heartbeat, in that life, is).
 * Every write is a compare-and-set, so of any number of nodes racing to
 * place a key one wins.
 */
export class PlacementRecords {
  readonly #kv: KV
  readonly #records: Records
  readonly #pool: string

  constructor(kv: KV, records: Records, pool: string) {
    this.#kv = kv
    this.#records = records
    this.#pool = pool
  }

  /** The key's placement as the bucket has it now; undefined if it has none (or none that can be trusted). */
  async get(key: string): Promise<Placement | undefined> {
    const entry = await this.#kv.get(placementKey(this.#pool, key))
    return entry && entry.operation === 'PUT' ? this.#read(entry) : undefined
  }

  /**
   * Places `key` on `self`: a create if `replacing` is null (no record), an
   * update of the record at revision `replacing` otherwise (it names a dead
   * node). Resolves with the new epoch, or undefined if the record was not
   * as expected (another node placed it first).
   */
  async claim(key: string, self: Pick<Self, 'node' | 'inc'>, replacing: number | null): Promise<number | undefined> {
    const k = placementKey(this.#pool, key)
    const value = this.#records.write(k, JSON.stringify({ node: self.node, inc: self.inc }))
    try {
      return replacing === null ? await this.#kv.create(k, value) : await this.#kv.update(k, value, replacing)
    } catch (error) {
      if (isWrongRevision(error)) return undefined
      throw error
    }
  }

  /**
   * Up to `limit` of the pool's records with their keys, read-only (for the
   * inspector): the bucket's keys of the pool, then each record, a few reads
   * at a time; `more` says there were others. Records that can't be trusted
   * (a bad signature) are left out.
   */
  async list(limit: number): Promise<{ readonly placements: readonly (Placement & { readonly key: string })[]; readonly more: boolean }> {
    const prefix = placementKey(this.#pool, '')
    const keys: string[] = []
    let more = false
    for await (const k of await this.#kv.keys(`${prefix}>`)) {
      if (keys.length >= limit) {
        more = true
        break
      }
      keys.push(k)
    }
    const placements: (Placement & { key: string })[] = []
    for (let i = 0; i < keys.length; i += LIST_READS) {
      const entries = await Promise.all(keys.slice(i, i + LIST_READS).map((k) => this.#kv.get(k)))
      for (const entry of entries) {
        const found = entry && entry.operation === 'PUT' ? this.#read(entry) : undefined
        const key = entry ? placementKeyOf(this.#pool, entry.key) : undefined
        if (found && key !== undefined) placements.push({ key, ...found })
      }
    }
    return { placements, more }
  }

  /** Deletes the key's record if it is still at `epoch` (this node's placement); false if it had changed. */
  async release(key: string, epoch: number): Promise<boolean> {
    try {
      await this.#kv.delete(placementKey(this.#pool, key), { previousSeq: epoch })
      return true
    } catch (error) {
      if (isWrongRevision(error)) return false
      throw error
    }
  }

  #read(entry: KvEntry): Placement | undefined {
    const text = this.#records.read(entry.key, entry.string())
    if (text === undefined) return undefined
    try {
      const value = JSON.parse(text) as { node?: unknown; inc?: unknown } | null
      if (typeof value?.node !== 'string' || typeof value.inc !== 'string') return undefined
      return { node: value.node, inc: value.inc, epoch: entry.revision }
    } catch {
      return undefined
    }
  }
}
