import { NoNodeError } from './errors'
import { DriftClock, planDrift } from './drift'
import type { ClusterLogger } from './options'
import { PlacementView, type NodeLoad } from './placementView'
import { busyLast, loadBound, shed, type Holding, type Move } from './shed'
import { DEFAULT_EPSILON, type PlacementStrategy } from './strategies'

export type { Holding, Move } from './shed'

// Rebalancing a cluster pool (docs/design/cluster-pools.md, section 8): each node plans for its own keys
// only, with no coordinator, and moves them through the pool's own hand-over (ClusterPool._moveOut).

/** How a move ended: `refused` when its target takes no key at all now (overloaded, stopping): no more are sent it. */
export type MoveOutcome = 'moved' | 'failed' | 'refused'

/** What rebalancing did on one node (`ClusterPool.moves()`). */
export interface RebalanceStats {
  /** Plans made: one each time the settled membership changed, one when the node left. */
  readonly plans: number
  /** Moves those plans held. */
  readonly planned: number
  /** Keys this node handed to others. */
  readonly movedOut: number
  /** Keys this node took from others. */
  readonly movedIn: number
  /** Moves that failed: the key stayed where it was. */
  readonly failed: number
  /** Times this node checked its load for drift (once a heartbeat period when settled; `planned` counts the moves of each). */
  readonly checks: number
  /** Checks that found this node above the bound and planned moves. */
  readonly drifts: number
}

/** How long a leaving node keeps moving keys before it releases the rest. */
export const LEAVE_DEADLINE = 10_000

/**
 * The moves of this node's keys once the nodes of `loads` (this one among
 * them; their key counts from their heartbeats) are the membership, e.g.
 * after a join. The bound is ceil((1 + epsilon) x the mean); no move goes to
 * a node already at it (counting the moves planned here). A stable strategy
 * (bounded hashing) names each key's node in a view of the membership with
 * every key counted up front (`planned`), the same answer on every node: a
 * key moves if that is not this node. Any other strategy (local-first,
 * least-loaded: their answers depend on history) sheds only this node's
 * keys above the bound, the newest first, to the nodes the strategy picks.
 * Keys with messages in flight come last.
 */
export function planJoin(self: string, holdings: readonly Holding[], loads: readonly NodeLoad[], strategy: PlacementStrategy): Move[] {
  // This node stays a candidate even if overloaded: a stable plan would otherwise send all its keys away.
  const nodes = loads.filter((load) => load.node === self || load.overloaded !== true)
  if (holdings.length === 0 || nodes.length < 2 || !nodes.some((load) => load.node === self)) return []
  const total = loads.reduce((sum, load) => sum + load.keys, 0)
  const bound = loadBound(total, nodes.length, strategy.epsilon ?? DEFAULT_EPSILON)
  if (strategy.stable) {
    const keys = new Map(loads.map((load) => [load.node, load.keys]))
    const hasRoom = (node: string) => (keys.get(node) ?? 0) < bound
    const moves: Move[] = []
    const view = new PlacementView(nodes.map(({ node }) => ({ node, keys: 0 })), { planned: total })
    for (const { key } of busyLast(holdings)) {
      const to = strategy.place(key, view, self)
      if (to instanceof NoNodeError) break
      view.add(to)
      if (to === self || !hasRoom(to)) continue
      moves.push({ key, to })
      keys.set(to, (keys.get(to) ?? 0) + 1)
    }
    return moves
  }
  return shed(self, holdings, nodes, strategy, bound, bound)
}

/**
 * The moves of all this node's keys before it leaves: the strategy places
 * each in a view of the other nodes that take keys (their loads from their
 * heartbeats, every key of the pool counted up front), counting each move
 * before the next. Keys with messages in flight come last. Keys no node can
 * take are left out (they are released as the node stops).
 */
export function planLeave(self: string, holdings: readonly Holding[], loads: readonly NodeLoad[], strategy: PlacementStrategy): Move[] {
  const others = loads.filter((load) => load.node !== self && load.overloaded !== true)
  const total = loads.reduce((sum, load) => sum + load.keys, 0)
  const view = new PlacementView(others, { planned: total })
  const moves: Move[] = []
  for (const { key } of busyLast(holdings)) {
    const to = strategy.place(key, view, self)
    if (to instanceof NoNodeError) break
    view.add(to)
    moves.push({ key, to })
  }
  return moves
}

/** The pool a rebalancer moves keys of (a ClusterPool on this node). */
export interface Movable {
  readonly name: string
  /** Every live node's load (this one's now, the others' from their heartbeats). */
  loads(): NodeLoad[]
  _holdings(): Holding[]
  _moveOut(key: string, to: string): Promise<MoveOutcome>
  /** Planned moves not made (their target gone, or no time left): counted failed. */
  _skipped(moves: number): void
  _leaving(): void
  _planned(moves: number): void
  /** A drift check was made, planning `moves` moves (0: the node is within the bound). */
  _drift(moves: number): void
}

/** What a rebalancer reads of the cluster. */
export interface Membership {
  readonly self: { readonly node: string }
  liveNodes(): string[]
  heartbeat(node: string): { readonly inc: string } | undefined
  readonly beatMs: number
  readonly logger: ClusterLogger
}

/**
 * Rebalances one cluster pool on one node: every heartbeat period it looks
 * at the live nodes, and once a node (in one life) has been seen for the
 * settle period it counts as a member; each time a member joins it plans
 * for this node's keys (`planJoin`) and moves them, `batch` at a time.
 * Between joins, once every live node has settled and a settle period has
 * passed since its last moves (or a node's lapse), it checks its own load
 * for drift (`planDrift`) every heartbeat period, and sheds keys when two
 * checks in a row find it above the bound. Before the node leaves, `leave`
 * moves all its keys (`planLeave`).
 */
export class Rebalancer {
  readonly #pool: Movable
  readonly #cluster: Membership
  readonly #strategy: PlacementStrategy
  readonly #batch: number
  readonly #settle: number
  /** Live nodes (not this one), in the life and since when (local clock) they were first seen so. */
  readonly #seen = new Map<string, { readonly inc: string; readonly at: number }>()
  /** The settled members as of the last look, as `node inc`. */
  #members = new Set<string>()
  #timer: ReturnType<typeof setInterval> | undefined
  #running: Promise<void> | undefined
  #closed = false
  readonly #drift: DriftClock

  constructor(pool: Movable, cluster: Membership, strategy: PlacementStrategy, options: { readonly batch: number; readonly settle: number | undefined }) {
    this.#pool = pool
    this.#cluster = cluster
    this.#strategy = strategy
    this.#batch = options.batch
    this.#settle = options.settle ?? 2 * cluster.beatMs
    this.#drift = new DriftClock(this.#settle, Date.now())
  }

  /** Starts looking at the membership, once a heartbeat period. */
  start(): void {
    if (this.#closed || this.#timer) return
    this.#timer = setInterval(() => this.#tick(), this.#cluster.beatMs)
    this.#timer.unref()
  }

  /** Stops planning (the node is stopping); a plan under way starts no new move. */
  close(): void {
    this.#closed = true
    clearInterval(this.#timer)
  }

  /** Moves every key of this node to the others (the node takes no new key from now on); the keys left are logged. */
  async leave(): Promise<void> {
    this.close()
    await this.#running
    this.#pool._leaving()
    const self = this.#cluster.self.node
    const moves = planLeave(self, this.#pool._holdings(), this.#pool.loads(), this.#strategy)
    this.#pool._planned(moves.length)
    await this.#move(moves, Date.now() + LEAVE_DEADLINE)
    const left = this.#pool._holdings().length
    if (left > 0) {
      this.#cluster.logger.warn(
        { node: self, pool: this.#pool.name, keys: left },
        'keepsake cluster: keys not moved before the node left are released (an in-memory key loses its state)'
      )
    }
  }

  #tick(): void {
    if (this.#closed || this.#running) return
    const now = Date.now()
    const self = this.#cluster.self.node
    const live = new Set(this.#cluster.liveNodes().filter((node) => node !== self))
    for (const node of this.#seen.keys()) {
      if (live.has(node)) continue
      this.#seen.delete(node)
      // Its keys come back on the others (on their next message, or eagerly): the loads settle before drift is checked.
      this.#drift.moved(now)
    }
    for (const node of live) {
      const inc = this.#cluster.heartbeat(node)?.inc
      if (inc !== undefined && this.#seen.get(node)?.inc !== inc) this.#seen.set(node, { inc, at: now })
    }
    const settled = [...this.#seen].filter(([, seen]) => now - seen.at >= this.#settle)
    // A node gone changes no plan here (its keys come back on their next message); one joined does.
    const joined = settled.some(([node, { inc }]) => !this.#members.has(`${node} ${inc}`))
    this.#members = new Set(settled.map(([node, { inc }]) => `${node} ${inc}`))
    const members = new Set([self, ...settled.map(([node]) => node)])
    // Load drift is checked only once every live node has settled (a join's plan comes first) and the last moves settled.
    if (!joined && (settled.length < live.size || !this.#drift.due(now))) return
    this.#running = (joined ? this.#rebalance(members) : this.#rebalanceDrift(members))
      .catch((error: unknown) => {
        this.#cluster.logger.warn({ node: self, pool: this.#pool.name, reason: (error as Error).message }, 'keepsake cluster: a rebalancing plan failed')
      })
      .finally(() => (this.#running = undefined))
  }

  async #rebalance(members: ReadonlySet<string>): Promise<void> {
    const self = this.#cluster.self.node
    const loads = this.#pool.loads().filter((load) => members.has(load.node))
    const moves = planJoin(self, this.#pool._holdings(), loads, this.#strategy)
    this.#pool._planned(moves.length)
    await this.#move(moves, Infinity)
    this.#drift.moved(Date.now())
  }

  async #rebalanceDrift(members: ReadonlySet<string>): Promise<void> {
    const loads = this.#pool.loads().filter((load) => members.has(load.node))
    const moves = planDrift(this.#cluster.self.node, this.#pool._holdings(), loads, this.#strategy)
    // Acted on only when the check before found this node above the bound too: one stale heartbeat moves nothing.
    const confirmed = this.#drift.confirm(moves.length > 0)
    this.#pool._drift(confirmed ? moves.length : 0)
    if (!confirmed) return
    await this.#move(moves, Infinity)
    this.#drift.moved(Date.now())
  }

  /** Runs `moves`, `batch` at a time, starting none after `deadline` (or once closed, for a join's). */
  async #move(moves: readonly Move[], deadline: number): Promise<void> {
    let next = 0
    const leaving = deadline !== Infinity
    /** Targets that refused a move for want of room (or leaving themselves): sent no more. */
    const full = new Set<string>()
    const worker = async () => {
      while (next < moves.length && Date.now() < deadline && (leaving || !this.#closed)) {
        const { key, to } = moves[next++] as Move
        if (full.has(to) || this.#cluster.heartbeat(to) === undefined) this.#pool._skipped(1)
        else if ((await this.#pool._moveOut(key, to)) === 'refused') full.add(to)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.#batch, moves.length) }, worker))
    // Moves not started (past the deadline, or closed): their keys stayed.
    this.#pool._skipped(moves.length - next)
  }
}
