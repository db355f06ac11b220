import { randomUUID } from 'node:crypto'
import type { KV, KvEntry } from '@nats-io/kv'
import { nats } from './nats'
import { NameTakenError } from '../shared/errors'
import { nameKey, nameOfKey, nodeKey, nodeOfKey } from './keys'
import type { Records } from './sealed'

/**
 * Who holds a global name: a node, in one of its lives (`inc`), for one
 * tenure (a token made when the node claimed or took over the name, kept by
 * its renewals), at a bucket revision.
 */
export interface Owner {
  readonly node: string
  readonly inc: string
  readonly tenure: string
  readonly revision: number
}

/** A name this node holds: the revision it last wrote, its tenure, and when (local clock) that write was sent. */
interface Held {
  readonly revision: number
  readonly tenure: string
  readonly sentAt: number
}

/** This node, in this life, and the version of each of its kinds (announced in its heartbeat). */
export interface Self {
  readonly node: string
  readonly inc: string
  readonly kinds: Readonly<Record<string, number>>
}

/**
 * Global names as leases in a KV bucket whose max-age is the lease time
 * (nats-server 2.9 has no per-key TTL; a bucket's max-age works the same way
 * for keys that are rewritten): a name is claimed with `create` (one winner
 * of any race), kept alive by rewriting it with compare-and-set on the
 * revision this node last wrote, and, if its node stops rewriting it, removed
 * by the server once it is older than the lease. Node heartbeats live in the
 * same bucket. A watch keeps `owner()` fresh for routing. Values go
 * through `records` (signed with a cluster key): one that can't be trusted
 * is ignored, and with `guarded`, a value written over a name this node
 * holds while its own write can't have expired is overwritten again.
 */
export class Leases {
  readonly #kv: KV
  readonly #self: Self
  readonly #leaseMs: number
  /** The watch's view of every name, for routing (a hint: the bucket decides). */
  readonly #owners = new Map<string, Owner>()
  /** Heartbeats seen, by node: when (local time), in which life, its kinds' versions (undefined: it announced none), and the load it carried (cluster pools). */
  readonly #nodes = new Map<string, { inc: string; seen: number; kinds: Readonly<Record<string, number>> | undefined; load?: unknown }>()
  /** What this node's heartbeat carries besides its life and kinds: its cluster pools' load. */
  #load: (() => unknown) | undefined
  /** The names this node holds: the revision it last wrote for each, and its tenure. */
  readonly #mine = new Map<string, Held>()
  /** Names being handed over: not renewed, so the revision handed over stays the current one. */
  readonly #frozen = new Set<string>()
  #renewing: Promise<unknown> | undefined
  #heartbeat = 0
  #stopWatch: (() => void) | undefined
  #closed = false
  /** Bucket revision the watch has reached. */
  #watched = 0
  #waiters: { revision: number; resolve: () => void }[] = []

  readonly #records: Records
  readonly #guarded: boolean

  constructor(kv: KV, self: Self, leaseMs: number, records: Records, guarded: boolean) {
    this.#kv = kv
    this.#self = self
    this.#leaseMs = leaseMs
    this.#records = records
    this.#guarded = guarded
  }

  /** Starts the watch and the heartbeat; resolves once the watch has read the whole bucket. */
  async start(): Promise<void> {
    await this.#watch()
    const revision = await this.#beat()
    await this.#seen(revision)
  }

  /**
   * (Re)starts the watch from the revision it had reached. A watch that ends
   * (its consumer lost with the server) is started again, so the cache never
   * goes stale for good.
   */
  async #watch(): Promise<void> {
    const watch = await this.#kv.watch(this.#watched > 0 ? { resumeFromRevision: this.#watched + 1 } : {})
    let stopped = false
    this.#stopWatch = () => {
      stopped = true
      watch.stop()
    }
    void (async () => {
      try {
        for await (const entry of watch) this.#observe(entry)
      } catch {
        // ended by the connection; started again below
      }
      if (!stopped) this.#rewatchSoon()
    })()
  }

  #rewatchSoon(): void {
    const timer = setTimeout(() => this.rewatch(), 250)
    timer.unref()
    this.#stopWatch = () => clearTimeout(timer)
  }

  /**
   * Replaces the watch with a new one from where it was (after a reconnect,
   * in case its consumer is gone); while that fails (JetStream not back
   * yet), tries again every 250 ms.
   */
  rewatch(): void {
    if (this.#closed) return
    this.#stopWatch?.()
    this.#watch().catch(() => this.#rewatchSoon())
  }

  /** Stops the watch and removes this node's heartbeat, so the others stop counting it at once. */
  async stop(): Promise<void> {
    this.#closed = true
    this.#stopWatch?.()
    await this.#kv.delete(nodeKey(this.#self.node)).catch(() => undefined)
  }

  /** The holder of `name` as the watch last saw it. */
  owner(name: string): Owner | undefined {
    return this.#owners.get(name)
  }

  /** Reads the holder of `name` from the bucket itself (after a message bounced), and caches it. */
  async refresh(name: string): Promise<Owner | undefined> {
    const cached = this.#owners.get(name)
    const entry = await this.#kv.get(nameKey(name))
    const owner = entry && entry.operation === 'PUT' ? this.#readOwner(entry) : undefined
    // Guarded, a value that can't be trusted says nothing: its holder takes it back.
    if (!owner && entry?.operation === 'PUT' && this.#guarded) return this.#owners.get(name)
    // The watch may have brought something newer while the get was under way: keep the newest.
    const now = this.#owners.get(name)
    if (owner && (!now || now.revision <= owner.revision)) this.#owners.set(name, owner)
    else if (!owner && now === cached) this.#owners.delete(name)
    return owner ?? (now !== cached ? now : undefined)
  }

  /** True while this node holds `name`. */
  holds(name: string): boolean {
    return this.#mine.has(name)
  }

  /** The names this node holds. */
  held(): string[] {
    return [...this.#mine.keys()]
  }

  /** Claims `name` for this node; rejects with NameTakenError if any node holds it. */
  async claim(name: string): Promise<void> {
    const tenure = randomUUID()
    const sentAt = Date.now()
    try {
      this.#mine.set(name, { revision: await this.#kv.create(nameKey(name), this.#value(name, tenure)), tenure, sentAt })
    } catch (error) {
      if (isWrongRevision(error)) throw new NameTakenError(name)
      throw error
    }
  }

  /** Takes `name` over from the node that holds it at `revision` (the end of a transfer); false if it changed meanwhile. */
  async takeOver(name: string, revision: number): Promise<boolean> {
    const tenure = randomUUID()
    const sentAt = Date.now()
    try {
      this.#mine.set(name, { revision: await this.#kv.update(nameKey(name), this.#value(name, tenure), revision), tenure, sentAt })
      return true
    } catch (error) {
      if (isWrongRevision(error)) return false
      throw error
    }
  }

  /** The revision this node last wrote for `name` (for handing it over). */
  revisionOf(name: string): number | undefined {
    return this.#mine.get(name)?.revision
  }

  /** This node's tenure of `name`, if it holds it. */
  tenureOf(name: string): string | undefined {
    return this.#mine.get(name)?.tenure
  }

  /** Stops renewing `name` (it is being handed over); resolves once no renewal of it is in flight. */
  async freeze(name: string): Promise<void> {
    this.#frozen.add(name)
    await this.#renewing?.catch(() => undefined)
  }

  /** Renews `name` again. */
  thaw(name: string): void {
    this.#frozen.delete(name)
  }

  /** Forgets `name` without touching the bucket (it was handed to another node, or lost). */
  forget(name: string): void {
    this.#frozen.delete(name)
    this.#mine.delete(name)
  }

  /** Releases `name` if this node still holds it (a delete guarded by its revision). */
  async release(name: string): Promise<void> {
    const held = this.#mine.get(name)
    if (held === undefined) return
    this.#mine.delete(name)
    try {
      await this.#kv.delete(nameKey(name), { previousSeq: held.revision })
    } catch (error) {
      if (!isWrongRevision(error)) throw error
    }
  }

  /**
   * Rewrites the heartbeat and every held name (an expired one is claimed
   * again). Resolves with the names found taken by another node: this node
   * lost them. Rejects if the bucket could not be reached.
   */
  renew(): Promise<string[]> {
    const renewing = this.#renewAll()
    this.#renewing = renewing
    return renewing
  }

  async #renewAll(): Promise<string[]> {
    await this.#beat()
    const lost: string[] = []
    await Promise.all(
      [...this.#mine].map(async ([name, held]) => {
        if (this.#frozen.has(name)) return
        const sentAt = Date.now()
        try {
          const revision = await this.#kv.update(nameKey(name), this.#value(name, held.tenure), held.revision)
          if (this.#mine.get(name) === held) this.#mine.set(name, { revision, tenure: held.tenure, sentAt })
        } catch (error) {
          if (!isWrongRevision(error)) throw error
          if (this.#mine.get(name) !== held) return
          if (await this.#restore(name, held)) return
          // Expired while this node could not renew it: take it back (a new tenure), unless another node has it.
          const tenure = randomUUID()
          try {
            this.#mine.set(name, { revision: await this.#kv.create(nameKey(name), this.#value(name, tenure)), tenure, sentAt })
          } catch (again) {
            if (!isWrongRevision(again)) throw again
            this.#mine.delete(name)
            lost.push(name)
          }
        }
      })
    )
    return lost
  }

  /**
   * Guarded: a value written over `held` while this node's write can't have
   * expired yet was written by no node (a node writes over a live lease only
   * at the end of a transfer, which its holder started and stopped renewing
   * for): this node writes its lease back, same tenure. True if it did. Once
   * its write may have expired, another node may hold the name: it backs off.
   */
  async #restore(name: string, held: Held): Promise<boolean> {
    if (!this.#guarded || Date.now() - held.sentAt >= this.#leaseMs) return false
    const entry = await this.#kv.get(nameKey(name))
    if (!entry || entry.operation !== 'PUT') return false
    const sentAt = Date.now()
    try {
      const revision = await this.#kv.update(nameKey(name), this.#value(name, held.tenure), entry.revision)
      if (this.#mine.get(name) === held) this.#mine.set(name, { revision, tenure: held.tenure, sentAt })
      return true
    } catch (error) {
      if (isWrongRevision(error)) return false
      throw error
    }
  }

  /** Nodes whose heartbeat was seen within the lease time, this one included, sorted. */
  liveNodes(now = Date.now()): string[] {
    const live = [...this.#nodes].filter(([, n]) => now - n.seen <= this.#leaseMs).map(([id]) => id)
    if (!live.includes(this.#self.node)) live.push(this.#self.node)
    return live.sort()
  }

  /**
   * The version of `kind` that `node` announced in its heartbeat; null if it
   * has no such kind. A node that announces no versions (an older keepsake)
   * counts as running every kind at version 1.
   */
  kindVersion(node: string, kind: string): number | null {
    const kinds = node === this.#self.node ? this.#self.kinds : this.#nodes.get(node)?.kinds
    if (kinds === undefined) return 1
    return Object.hasOwn(kinds, kind) ? (kinds[kind] as number) : null
  }

  /** Makes every heartbeat carry `load()` (a JSON value: a node's cluster pools' load), read back with `heartbeat`. */
  carry(load: () => unknown): void {
    this.#load = load
  }

  /** A live node's heartbeat as last seen: its life, and the load it carried. Undefined for a node not live. */
  heartbeat(node: string, now = Date.now()): { readonly inc: string; readonly load?: unknown } | undefined {
    const seen = this.#nodes.get(node)
    return seen && now - seen.seen <= this.#leaseMs ? seen : undefined
  }

  /** This node, in this life. */
  get self(): Self {
    return this.#self
  }

  /** Names present in the bucket right now (the server's view, expired leases gone). */
  async presentNames(): Promise<Set<string>> {
    const names = new Set<string>()
    for await (const key of await this.#kv.keys()) {
      const name = nameOfKey(key)
      if (name !== undefined) names.add(name)
    }
    return names
  }

  async #beat(): Promise<number> {
    const key = nodeKey(this.#self.node)
    const load = this.#load?.()
    const beat = { inc: this.#self.inc, kinds: this.#self.kinds }
    this.#heartbeat = await this.#kv.put(key, this.#records.write(key, JSON.stringify(load === undefined ? beat : { ...beat, load })))
    return this.#heartbeat
  }

  #value(name: string, tenure: string): string {
    return this.#records.write(nameKey(name), JSON.stringify({ node: this.#self.node, inc: this.#self.inc, tenure }))
  }

  /** A name's value, checked: anything else in the bucket is ignored. */
  #readOwner(entry: KvEntry): Owner | undefined {
    const value = this.#readJson(entry)
    if (typeof value?.node !== 'string' || typeof value.inc !== 'string' || typeof value.tenure !== 'string') return undefined
    return { node: value.node, inc: value.inc, tenure: value.tenure, revision: entry.revision }
  }

  #readJson(entry: KvEntry): Record<string, unknown> | undefined {
    const text = this.#records.read(entry.key, entry.string())
    if (text === undefined) return undefined
    try {
      const value: unknown = JSON.parse(text)
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
    } catch {
      return undefined
    }
  }

  #observe(entry: KvEntry): void {
    this.#watched = Math.max(this.#watched, entry.revision)
    const name = nameOfKey(entry.key)
    if (name !== undefined) {
      const owner = entry.operation === 'PUT' ? this.#readOwner(entry) : undefined
      if (owner) this.#owners.set(name, owner)
      // One that can't be trusted says nothing: the owner last seen stays (guarded, it takes its lease back).
      else if (entry.operation !== 'PUT' || !this.#guarded) this.#owners.delete(name)
    }
    const node = nodeOfKey(entry.key)
    if (node !== undefined && entry.operation !== 'PUT') this.#nodes.delete(node)
    else if (node !== undefined) {
      const beat = this.#readJson(entry)
      if (typeof beat?.inc === 'string') this.#nodes.set(node, { inc: beat.inc, seen: Date.now(), kinds: readKindVersions(beat.kinds), load: beat.load })
    }
    this.#waiters = this.#waiters.filter((w) => (w.revision <= this.#watched ? (w.resolve(), false) : true))
  }

  #seen(revision: number): Promise<void> {
    if (revision <= this.#watched) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ revision, resolve }))
  }
}

/** A heartbeat's `kinds`: a record of versions (integers >= 1); anything else announces none. */
function readKindVersions(value: unknown): Readonly<Record<string, number>> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const kinds: Record<string, number> = Object.create(null) as Record<string, number>
  for (const [kind, version] of Object.entries(value)) {
    if (!Number.isSafeInteger(version) || (version as number) < 1) return undefined
    kinds[kind] = version as number
  }
  return kinds
}

/** True for JetStream's answer to a compare-and-set whose expected revision is not the current one. */
export function isWrongRevision(error: unknown): boolean {
  const { JetStreamApiCodes, JetStreamApiError } = nats().jetstream
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  )
}
