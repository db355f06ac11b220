import { NoNodeError } from './errors'
import { PlacementView, type NodeLoad } from './placementView'
import type { PlacementStrategy } from './strategies'

// Which of a node's keys to shed, and where to: the one rule a join's plan (for strategies that are not
// stable) and a drift's plan (every strategy) share (docs/design/cluster-pools.md, section 8).

/** A key this node holds, as a plan sees it. */
export interface Holding {
  readonly key: string
  /** Messages to it are in flight: moved last (its move waits for them). */
  readonly busy: boolean
}

/** One key to move, and where. */
export interface Move {
  readonly key: string
  readonly to: string
}

/** ceil((1 + epsilon) x the mean of `total` keys over `nodes` nodes): the most keys a node may hold. */
export function loadBound(total: number, nodes: number, epsilon: number): number {
  return Math.ceil(((1 + epsilon) * total) / nodes)
}

/** `holdings` with the keys that have messages in flight last, each group in its order. */
export function busyLast(holdings: readonly Holding[]): Holding[] {
  return [...holdings.filter((h) => !h.busy), ...holdings.filter((h) => h.busy)]
}

/**
 * The moves that bring `self` down to `keep` keys: its newest keys first
 * (those with messages in flight last), each to the node the strategy picks
 * among the nodes of `nodes` (their key counts from their heartbeats) other
 * than this one that hold fewer than `room` keys, counting the moves planned
 * here. Stops early when no node has room (or the strategy names none).
 */
export function shed(self: string, holdings: readonly Holding[], nodes: readonly NodeLoad[], strategy: PlacementStrategy, keep: number, room: number): Move[] {
  const keys = new Map(nodes.map((load) => [load.node, load.keys]))
  const hasRoom = (node: string) => node !== self && (keys.get(node) ?? 0) < room
  let excess = (keys.get(self) ?? 0) - keep
  // Nodes without room (and this one) take none of the keys shed: the strategy picks among the others.
  const viewOf = () => new PlacementView(nodes.map(({ node }) => ({ node, keys: keys.get(node) ?? 0, overloaded: !hasRoom(node) })))
  let view = viewOf()
  const moves: Move[] = []
  for (const { key } of busyLast([...holdings].reverse())) {
    if (excess <= 0) break
    const to = strategy.place(key, view, self)
    // A strategy of the user's may name a node the view marks full: the plan ends there rather than overfill it.
    if (to instanceof NoNodeError || !hasRoom(to)) break
    moves.push({ key, to })
    keys.set(to, (keys.get(to) ?? 0) + 1)
    excess--
    if (hasRoom(to)) view.add(to)
    else view = viewOf()
  }
  return moves
}
