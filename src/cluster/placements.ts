import type { KV, KvEntry } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { placementKey, placementKeyOf } from './keys'
import { isWrongRevision, type Self } from './leases'
import { nats } from './nats'
import type { Records } from './sealed'

/** Records a listing reads at once. */
const LIST_READS = 32
/** Tombstone revisions a pool remembers (the keys it released last): a bound on memory for keys never placed again. */
const MAX_TOMBSTONES = 10_000

/** Deletes a bucket key by compare-and-set on `revision`; resolves with the revision of the tombstone it left. */
export type DeleteAt = (key: string, revision: number) => Promise<number>

/**
 * A {@link DeleteAt} on the bucket `bucket`: the KV client's own delete does
 * not answer the tombstone's revision, so it is written as the client
 * writes it (a KV-Operation DEL message on the key's subject), through
 * JetStream, whose acknowledgement carries it.
 */
export function deleteAtOf(nc: NatsConnection, bucket: string): DeleteAt {
  const js = nats().jetstream.jetstream(nc)
  return async (key, revision) => {
    const headers = nats().transport.headers()
    headers.set('KV-Operation', 'DEL')
    const ack = await js.publish(`$KV.${bucket}.${key}`, nats().transport.Empty, { headers, expect: { lastSubjectSequence: revision } })
    return ack.seq
  }
}

/** Writes a bucket key by compare-and-set on `last` (0: the key has no record), JetStream's answer going to `replyTo`; not awaited. */
export type WriteFor = (key: string, value: string, last: number, replyTo: string) => void

/** A {@link WriteFor} on the bucket `bucket`: the write the KV client's `create` or `update` makes, its answer sent elsewhere. */
export function writeForOf(nc: NatsConnection, bucket: string): WriteFor {
  return (key, value, last, replyTo) => {
    const headers = nats().transport.headers()
    headers.set('Nats-Expected-Last-Subject-Sequence', String(last))
    nc.publish(`$KV.${bucket}.${key}`, value, { reply: replyTo, headers })
  }
}

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
  readonly #deleteAt: DeleteAt
  readonly #writeFor: WriteFor
  /**
   * The tombstone revision of each key this node released (least recently
   * released first). A key placed again is most often placed on the node
   * that released it (bounded hashing names the same node), and its
   * placement is then one `update` on that revision: a `create` over a
   * tombstone costs three round trips (the refused write, a read of what is
   * there, the write again).
   */
  readonly #tombstones = new Map<string, number>()

  constructor(kv: KV, records: Records, pool: string, deleteAt: DeleteAt, writeFor: WriteFor) {
    this.#kv = kv
    this.#records = records
    this.#pool = pool
    this.#deleteAt = deleteAt
    this.#writeFor = writeFor
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
    const tombstone = replacing === null ? this.#tombstones.get(key) : undefined
    this.#tombstones.delete(key)
    try {
      if (tombstone !== undefined) {
        // Still the tombstone this node left, most likely; if not (placed and released elsewhere since), a create.
        try {
          return await this.#kv.update(k, value, tombstone)
        } catch (error) {
          if (!isWrongRevision(error)) throw error
        }
      }
      return replacing === null ? await this.#kv.create(k, value) : await this.#kv.update(k, value, replacing)
    } catch (error) {
      if (isWrongRevision(error)) return undefined
      throw error
    }
  }

  /**
   * Writes `key`'s record naming `owner`, another node, as that node's
   * `claim` of a key with no record would (a create, or an update of the
   * tombstone this node left), without waiting: JetStream answers
   * `replyTo`, where `owner` reads whether the key is its own.
   */
  claimFor(key: string, owner: Pick<Self, 'node' | 'inc'>, replyTo: string): void {
    const k = placementKey(this.#pool, key)
    const tombstone = this.#tombstones.get(key)
    this.#tombstones.delete(key)
    this.#writeFor(k, this.#records.write(k, JSON.stringify({ node: owner.node, inc: owner.inc })), tombstone ?? 0, replyTo)
  }

  /** The record another node wrote for this one (`claimFor`) is this node's at `revision`: a tombstone it kept of the key is gone. */
  claimedFor(key: string, revision: number): number {
    this.#tombstones.delete(key)
    return revision
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
      const tombstone = await this.#deleteAt(placementKey(this.#pool, key), epoch)
      this.#tombstones.delete(key)
      this.#tombstones.set(key, tombstone)
      if (this.#tombstones.size > MAX_TOMBSTONES) this.#tombstones.delete(this.#tombstones.keys().next().value as string)
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
