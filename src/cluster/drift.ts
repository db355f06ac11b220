import type { NodeLoad } from './placementView'
import { loadBound, shed, type Holding, type Move } from './shed'
import { DEFAULT_EPSILON, type PlacementStrategy } from './strategies'

// Rebalancing on load drift (docs/design/cluster-pools.md, section 8): keys come and go (placed, passivated,
// failed over) with no node joining, and a node can end up far above the mean. Each node checks its own load
// only, once a heartbeat period, and sheds its own keys, as a join's plan does.

/**
 * The moves of this node's keys when its load has drifted: none while it
 * holds no more than the bound, ceil((1 + epsilon) x the mean over the nodes
 * of `loads` that take keys); above it, the node sheds down to
 * ceil((1 + epsilon / 2) x the mean), its newest keys first (those with
 * messages in flight last), to the nodes the strategy picks among those
 * under that lower level. The gap between the two levels is the
 * hysteresis: a node the shed keys go to is not pushed over the bound, so
 * it does not shed them on in turn, and a node just over the bound moves
 * more than one key per plan.
 *
 * @example
 * // a holds 40, b 0: mean 20, bound 25, a sheds down to 23 (17 keys to b)
 * planDrift('a', holdings, [{ node: 'a', keys: 40 }, { node: 'b', keys: 0 }], localFirst())
 */
export function planDrift(self: string, holdings: readonly Holding[], loads: readonly NodeLoad[], strategy: PlacementStrategy): Move[] {
  // This node counts among those that take keys even if overloaded, as in a join's plan.
  const nodes = loads.filter((load) => load.node === self || load.overloaded !== true)
  const mine = loads.find((load) => load.node === self)?.keys ?? 0
  if (holdings.length === 0 || nodes.length < 2) return []
  const total = loads.reduce((sum, load) => sum + load.keys, 0)
  const epsilon = strategy.epsilon ?? DEFAULT_EPSILON
  if (mine <= loadBound(total, nodes.length, epsilon)) return []
  const keep = loadBound(total, nodes.length, epsilon / 2)
  return shed(self, holdings, nodes, strategy, keep, keep)
}

/**
 * When a node checks its load for drift, and when it acts: not before
 * `settle` ms have passed since its last moves (a join's or a drift's) or
 * a node's lapse, so the heartbeats it plans from carry their result; and
 * only once two checks in a row (a heartbeat period apart) find it above
 * the bound, so one stale heartbeat (a node's count from before the keys it
 * just took) moves nothing.
 */
export class DriftClock {
  readonly #settle: number
  #quietUntil: number
  /** The last check found the node above the bound. */
  #over = false

  /** Quiet for `settle` ms from `now` (the heartbeats of the others are not all seen yet). */
  constructor(settle: number, now: number) {
    this.#settle = settle
    this.#quietUntil = now + settle
  }

  /** Whether a check is due at `now`. */
  due(now: number): boolean {
    return now >= this.#quietUntil
  }

  /** Keys moved (or a plan ran, or a node lapsed) up to `now`: the next check waits a settle period, and starts afresh. */
  moved(now: number): void {
    this.#quietUntil = Math.max(this.#quietUntil, now + this.#settle)
    this.#over = false
  }

  /** A check found the node above the bound (`over`) or not: true when the one before did too (time to shed). */
  confirm(over: boolean): boolean {
    const confirmed = over && this.#over
    this.#over = over && !confirmed
    return confirmed
  }
}
