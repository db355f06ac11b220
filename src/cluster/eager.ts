import { hash32, score } from './hash'
import type { Manifest, ManifestEntry } from './manifest'
import type { ClusterLogger } from './options'
import type { NodeLoad } from './placementView'

// Eager failover of a cluster pool's durable keys (docs/design/cluster-pools.md, section 6): when a node's
// heartbeat lapses, the live nodes split its keys by rendezvous hashing, each starting its share at once
// through the same compare-and-set on the dead node's record that a key's next message would use.

/** What eager failover did on one node (`ClusterPool.failovers()`). */
export interface FailoverStats {
  /** Lapses of other nodes (a node in one life) seen and handled. */
  readonly lapses: number
  /** Entries read from the dead nodes' manifests. */
  readonly listed: number
  /** Keys of those this node's share held. */
  readonly shared: number
  /** Keys this node took over and started. */
  readonly taken: number
  /** Keys of its share already placed anew (or released) when it came to them: left alone. */
  readonly skipped: number
  /** Keys it could not start (this node overloaded or stopping, the store out): they come back on their next message. */
  readonly failed: number
}

/**
 * How long after it took its share of a dead node's keys the live node
 * chosen to removes the dead node's manifest: two leases (six heartbeat
 * periods). Every live node sees a lapse within about a heartbeat period of
 * the others (each checks once a period) and reads the manifest at once; a
 * node that comes to it later finds none, and its share comes back lazily.
 */
const REMOVE_AFTER_BEATS = 6

/** How a takeover ended. */
export type TakeoverOutcome = 'taken' | 'skipped' | 'failed'

/**
 * The node of `nodes` whose share `key` is: the highest rendezvous score.
 * Every node computes the same from the same set of nodes; views that
 * differ only make a key tried twice (one compare-and-set wins) or not at
 * all (its next message places it).
 */
export function shareOf(key: string, nodes: readonly string[]): string | undefined {
  const keyHash = hash32(key)
  let best: string | undefined
  let bestScore = -1
  for (const node of nodes) {
    const s = score(keyHash, hash32(node))
    if (s > bestScore || (s === bestScore && best !== undefined && node < best)) {
      best = node
      bestScore = s
    }
  }
  return best
}

/** The pool eager failover works for (a ClusterPool on this node). */
export interface FailoverPool {
  readonly name: string
  /** This node's durable keys active now, with their epochs (its manifest). */
  _manifest(): ManifestEntry[]
  /** Starts `key` here, taking its record over by compare-and-set at `epoch` (the dead node's placement). */
  _takeOver(key: string, epoch: number): Promise<TakeoverOutcome>
  /** Every live node's load (this one's now, the others' from their heartbeats). */
  loads(): NodeLoad[]
}

/** What eager failover reads of the cluster. */
export interface FailoverMembership {
  readonly self: { readonly node: string; readonly inc: string }
  liveNodes(): string[]
  heartbeat(node: string): { readonly inc: string; readonly load?: unknown } | undefined
  readonly beatMs: number
  readonly logger: ClusterLogger
}

/**
 * Eager failover for one durable pool on one node. Every heartbeat period
 * it rewrites its manifest if its keys changed, and looks at the live
 * nodes: each node seen live before (in one life) and not now has lapsed;
 * its manifest is read, and the keys whose share is this node's (among the
 * live nodes that take keys, `overloaded` from their heartbeats) are taken
 * over, `batch` at a time.
 */
export class EagerFailover {
  readonly #pool: FailoverPool
  readonly #cluster: FailoverMembership
  readonly #manifest: Manifest
  readonly #batch: number
  /** Other nodes seen live, in the life they were seen in. */
  readonly #live = new Map<string, string>()
  /** This node's share of dead nodes' keys not taken over yet, with the epochs their manifests gave. */
  readonly #pending = new Map<string, number>()
  readonly #stats = { lapses: 0, listed: 0, shared: 0, taken: 0, skipped: 0, failed: 0 }
  #timer: ReturnType<typeof setInterval> | undefined
  #writing: Promise<void> | undefined
  #failing: Promise<void> | undefined
  /** Dead nodes' manifests to remove once the others have read them (see {@link REMOVE_AFTER_BEATS}). */
  readonly #removals = new Set<ReturnType<typeof setTimeout>>()
  #removing: Promise<void> = Promise.resolve()
  #closed = false

  constructor(pool: FailoverPool, cluster: FailoverMembership, manifest: Manifest, batch: number) {
    this.#pool = pool
    this.#cluster = cluster
    this.#manifest = manifest
    this.#batch = batch
  }

  /** What it did so far. */
  stats(): FailoverStats {
    return { ...this.#stats }
  }

  /** Starts writing the manifest and watching for lapses, once a heartbeat period. */
  start(): void {
    if (this.#closed || this.#timer) return
    this.#tick()
    this.#timer = setInterval(() => this.#tick(), this.#cluster.beatMs)
    this.#timer.unref()
  }

  /** Stops (the node is leaving: its keys are moved or released); its manifest is deleted. */
  async close(): Promise<void> {
    this.#closed = true
    this.#pending.clear()
    clearInterval(this.#timer)
    for (const timer of this.#removals) clearTimeout(timer)
    this.#removals.clear()
    await Promise.all([this.#writing, this.#failing, this.#removing])
    await this.#manifest.clear().catch(() => undefined)
  }

  #tick(): void {
    if (this.#closed) return
    this.#writing ??= this.#manifest
      .write(this.#pool._manifest())
      .catch((error: unknown) => this.#warn('could not write its manifest (its keys come back lazily if it dies now)', error))
      .finally(() => (this.#writing = undefined))
    const self = this.#cluster.self.node
    const lapsed: [string, string][] = []
    for (const [node, inc] of this.#live) if (this.#cluster.heartbeat(node)?.inc !== inc) lapsed.push([node, inc])
    for (const [node] of lapsed) this.#live.delete(node)
    for (const node of this.#cluster.liveNodes()) {
      const inc = node === self ? undefined : this.#cluster.heartbeat(node)?.inc
      if (inc !== undefined) this.#live.set(node, inc)
    }
    if (lapsed.length === 0) return
    // Each manifest is read at once, while it is sure to be there (one live node removes it later); its keys are taken
    // one lapse after another, each reading the live nodes as they are when it runs.
    const reads = lapsed.map(([node, inc]) => ({ node, inc, entries: this.#read(node, inc) }))
    const previous = this.#failing
    this.#failing = (async () => {
      await previous
      for (const { node, inc, entries } of reads) {
        const read = await entries
        if (read) await this.#failover(read)
        this.#removeLater(node, inc)
      }
    })()
  }

  /** `node`'s manifest in its life `inc`; undefined (warned) if it can't be read. */
  async #read(node: string, inc: string): Promise<ManifestEntry[] | undefined> {
    this.#stats.lapses++
    try {
      return await this.#manifest.read(node, inc)
    } catch (error) {
      this.#warn(`could not read the manifest of node "${node}" (its keys come back lazily)`, error)
      return undefined
    }
  }

  /**
   * Removes the dead node's manifest once the other live nodes have read it,
   * if this node is the one of them to (its rendezvous choice among the live
   * nodes, so one node does it without their talking): by compare-and-set on
   * each chunk of that life, so the node, back under the same id, keeps what
   * it writes. A removal that fails leaves the chunks (of a life no one
   * reads again) until the node's id starts again and trims them.
   */
  #removeLater(node: string, inc: string): void {
    if (this.#closed || shareOf(node, this.#cluster.liveNodes()) !== this.#cluster.self.node) return
    const timer = setTimeout(() => {
      this.#removals.delete(timer)
      this.#removing = this.#removing.then(() =>
        this.#manifest.remove(node, inc).then(
          () => undefined,
          (error: unknown) => this.#warn(`could not remove the manifest of node "${node}"`, error)
        )
      )
    }, REMOVE_AFTER_BEATS * this.#cluster.beatMs)
    timer.unref()
    this.#removals.add(timer)
  }

  async #failover(entries: readonly ManifestEntry[]): Promise<void> {
    this.#stats.listed += entries.length
    const self = this.#cluster.self.node
    const takers = this.#takers()
    const mine = entries.filter((entry) => shareOf(entry.key, takers) === self)
    this.#stats.shared += mine.length
    for (const { key, epoch } of mine) this.#pending.set(key, epoch)
    let next = 0
    const worker = async () => {
      while (next < mine.length && !this.#closed) {
        const { key } = mine[next++] as ManifestEntry
        // Gone from the pending: a message for it took it over first (see `hurry`), counted there.
        const epoch = this.#pending.get(key)
        if (epoch !== undefined) await this.#take(key, epoch)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.#batch, mine.length) }, worker))
  }

  /**
   * A message came for `key` to this node, which does not hold it: if it is
   * one of this node's share of a dead node's keys, not taken over yet, its
   * takeover starts now, ahead of the others (the message waits for it),
   * rather than the message placing it beside the takeovers (a failed
   * create, a read, a bounce and a placement request more, and the
   * takeover's compare-and-set lost when it comes to it).
   */
  hurry(key: string): void {
    const epoch = this.#pending.get(key)
    if (epoch !== undefined) void this.#take(key, epoch)
  }

  /** Takes `key` over at `epoch` (its takeover's activation exists once this returns its promise) and counts how it ended. */
  async #take(key: string, epoch: number): Promise<void> {
    this.#pending.delete(key)
    this.#stats[await this.#pool._takeOver(key, epoch).catch((): TakeoverOutcome => 'failed')]++
  }

  /**
   * The node whose share `key` is, were its node dead now: where a message
   * for a dead node's key places it, so that the placement and that node's
   * takeover of the key meet on one node (one activation there, the other
   * waits for it) instead of racing for the key's record from two.
   */
  takerOf(key: string): string | undefined {
    return shareOf(key, this.#takers())
  }

  /** The live nodes that take keys now (not `overloaded` in their heartbeats; this one as it is). */
  #takers(): string[] {
    return this.#pool.loads().filter((load) => load.overloaded !== true).map((load) => load.node)
  }

  #warn(what: string, error: unknown): void {
    this.#cluster.logger.warn({ node: this.#cluster.self.node, pool: this.#pool.name, reason: (error as Error).message }, `keepsake cluster: eager failover ${what}`)
  }
}
