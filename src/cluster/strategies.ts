import { InvalidOptionError } from '../shared/errors'
import { NoNodeError } from './errors'
import { hash32, score } from './hash'
import type { PlacementView } from './placementView'

/**
 * Decides where a new key of a cluster pool lives. `place` answers the id of
 * a node of `view` that takes no more than the strategy allows, or a
 * `NoNodeError` (returned, not thrown) when none can: the view is empty, or
 * every node in it is overloaded. An overloaded node is never the answer.
 */
export interface PlacementStrategy {
  /** What the strategy is, for reports: `bounded-hashing (eps 0.25)`. */
  readonly name: string
  /**
   * True when the answer depends only on the key and the view, so every node
   * computes the same one (a node can tell where a key belongs without
   * asking); false when it depends on the asking node too (local-first).
   */
  readonly deterministic: boolean
  /**
   * True when a key's node depends only on the key and the set of nodes
   * (bounded hashing): rebalancing moves each key to the node the strategy
   * names for it in the new membership. Otherwise (local-first,
   * least-loaded: the answer depends on what was placed before) rebalancing
   * sheds only the keys a node holds above the bound. Default false.
   */
  readonly stable?: boolean
  /** How far above the mean a node may go: rebalancing's bound is ceil((1 + epsilon) x the mean). Default 0.25. */
  readonly epsilon?: number
  /** The node for `key`, as `asker` (the node its first message came to) sees the cluster in `view`. */
  place(key: string, view: PlacementView, asker: string): string | NoNodeError
}

/** The default `epsilon` of the bounded strategies: no node holds more than ceil(1.25 x the mean). */
export const DEFAULT_EPSILON = 0.25

/**
 * The most keys a node may hold once one more key is placed in `view`:
 * ceil((1 + epsilon) x (keys + 1) / nodes that take keys), the capacity of
 * consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam,
 * 2018), with the view's `planned` keys in place of keys + 1 if more. Keys
 * on overloaded nodes count in the total, which only raises it.
 */
export function capacity(view: PlacementView, epsilon: number): number {
  return Math.ceil(((1 + epsilon) * Math.max(view.total + 1, view.planned)) / view.eligible)
}

/** Options of `boundedHashing`. */
export interface BoundedHashingOptions {
  /** How far above the mean a node may go: capacity ceil((1 + epsilon) x mean). Default 0.25; `Infinity`: plain rendezvous hashing. */
  readonly epsilon?: number
}

/**
 * Consistent hashing with bounded loads, on rendezvous order: a key goes to
 * the first node, in the order of its rendezvous scores, that takes keys and
 * holds fewer than `capacity`. Deterministic. A join or a leave moves about
 * 1/N of the keys (those whose first choice changes, and a few pushed on by
 * the bound); no node holds more than ceil((1 + epsilon) x the mean), however
 * the keys fall. Cost: one integer mix per node per placement.
 *
 * @example
 * const view = new PlacementView([{ node: 'a', keys: 120 }, { node: 'b', keys: 80 }, { node: 'c', keys: 0, overloaded: true }])
 * const node = boundedHashing().place('cart:42', view, 'a') // 'a' or 'b', the same on every node
 * if (node instanceof NoNodeError) throw node
 * view.add(node) // counted before the next placement
 */
export function boundedHashing(options: BoundedHashingOptions = {}): PlacementStrategy {
  const epsilon = readEpsilon(options.epsilon, 'boundedHashing')
  return {
    name: epsilon === Infinity ? 'rendezvous hashing (no bound)' : `bounded hashing (eps ${epsilon})`,
    deterministic: true,
    stable: true,
    epsilon,
    place(key, view) {
      const refused = refusal(key, view)
      if (refused) return refused
      return view.nodes[firstWithRoom(hash32(key), view, capacity(view, epsilon))] as string
    }
  }
}

/** Options of `localFirst`. */
export interface LocalFirstOptions {
  /** How far above the mean the asking node may go before the key goes elsewhere. Default 0.25. */
  readonly epsilon?: number
  /** Where a key goes when the asking node can't take it. Default `boundedHashing` with the same epsilon. */
  readonly fallback?: PlacementStrategy
}

/**
 * The asking node, if it takes keys and holds fewer than `capacity`;
 * otherwise the fallback's answer. Calls stay local when callers are spread
 * over the nodes the way keys should be; the bound stops a node that receives
 * most first messages from taking most keys. Not deterministic: two nodes
 * asked about one key answer differently (the pool's single-flight activation
 * settles which wins).
 *
 * @example
 * const view = new PlacementView([{ node: 'a', keys: 10 }, { node: 'b', keys: 0 }])
 * localFirst().place('k', view, 'b') // 'b': under ceil(1.25 x 11 / 2) = 7
 * localFirst().place('k', view, 'a') // 'b': 'a' is over it, so bounded hashing decides
 */
export function localFirst(options: LocalFirstOptions = {}): PlacementStrategy {
  const epsilon = readEpsilon(options.epsilon, 'localFirst')
  const fallback = options.fallback ?? boundedHashing({ epsilon })
  return {
    name: `local-first (eps ${epsilon}), else ${fallback.name}`,
    deterministic: false,
    epsilon,
    place(key, view, asker) {
      const refused = refusal(key, view)
      if (refused) return refused
      const i = view.indexOf(asker)
      if (i >= 0 && view.overloaded[i] === 0 && (view.keys[i] as number) < capacity(view, epsilon)) return asker
      return fallback.place(key, view, asker)
    }
  }
}

/** Options of `leastLoaded`. */
export interface LeastLoadedOptions {
  /**
   * Choose among the key's `choices` first nodes in rendezvous order rather
   * than among all (the "power of d choices"): nodes placing at once from
   * one stale view then spread their keys instead of all picking the one
   * least-loaded node. Default: all nodes.
   */
  readonly choices?: number
}

/**
 * The node that takes keys and holds the fewest, among all nodes or the key's
 * `choices` first ones; ties go to the key's higher rendezvous score (so tied
 * nodes share the keys). Deterministic for one view, but the answer depends on
 * every other key's placement: a key's node is kept in its placement record,
 * and a join or leave moves keys only as the rebalancer decides.
 *
 * @example
 * const view = new PlacementView([{ node: 'a', keys: 12 }, { node: 'b', keys: 9 }, { node: 'c', keys: 9 }])
 * leastLoaded().place('k', view, 'a') // 'b' or 'c' (the key's higher score)
 * leastLoaded({ choices: 2 }).place('k', view, 'a') // the fewer-loaded of the key's 2 first nodes
 */
export function leastLoaded(options: LeastLoadedOptions = {}): PlacementStrategy {
  const choices = options.choices ?? Infinity
  if (choices !== Infinity && (!Number.isSafeInteger(choices) || choices < 1)) {
    throw new InvalidOptionError('leastLoaded.choices', 'a whole number ≥ 1 (or leave it out for all nodes)', choices)
  }
  return {
    name: choices === Infinity ? 'least-loaded' : `least-loaded of ${choices} choices`,
    deterministic: true,
    place(key, view) {
      const refused = refusal(key, view)
      if (refused) return refused
      const keyHash = hash32(key)
      const best = choices >= view.eligible ? leastOfAll(keyHash, view) : leastOfChoices(keyHash, view, choices)
      return view.nodes[best] as string
    }
  }
}

function readEpsilon(epsilon: number | undefined, strategy: string): number {
  if (epsilon === undefined) return DEFAULT_EPSILON
  if (typeof epsilon !== 'number' || !(epsilon > 0)) {
    throw new InvalidOptionError(`${strategy}.epsilon`, 'a number > 0 (0.25 lets a node hold up to 1.25x the mean; Infinity: no bound)', epsilon)
  }
  return epsilon
}

/** The error to answer when no node of `view` can take a key at all. */
function refusal(key: string, view: PlacementView): NoNodeError | undefined {
  if (view.nodes.length === 0) return new NoNodeError(key, 'no-nodes', 0)
  if (view.eligible === 0) return new NoNodeError(key, 'all-overloaded', view.nodes.length)
  return undefined
}

// The loops below run once per node per placement (1e8 times in the bench's
// simulation), so they read the view's typed arrays directly. Ties on score
// (a 32-bit collision of two node hashes) go to the node first by id.

/** The eligible node with the highest score among those under `cap` (one exists: see `capacity`). */
function firstWithRoom(keyHash: number, view: PlacementView, cap: number): number {
  const { hashes, keys, overloaded } = view
  let best = -1
  let bestScore = -1
  for (let i = 0; i < hashes.length; i++) {
    if (overloaded[i] === 1 || (keys[i] as number) >= cap) continue
    const s = score(keyHash, hashes[i] as number)
    if (s > bestScore) {
      best = i
      bestScore = s
    }
  }
  return best
}

/** The eligible node with the fewest keys, ties to the higher score. */
function leastOfAll(keyHash: number, view: PlacementView): number {
  const { hashes, keys, overloaded } = view
  let best = -1
  let bestKeys = Infinity
  let bestScore = -1
  for (let i = 0; i < hashes.length; i++) {
    if (overloaded[i] === 1) continue
    const k = keys[i] as number
    if (k > bestKeys) continue
    const s = score(keyHash, hashes[i] as number)
    if (k < bestKeys || s > bestScore) {
      best = i
      bestKeys = k
      bestScore = s
    }
  }
  return best
}

/** Among the `choices` eligible nodes of highest score, the one with the fewest keys, ties to the higher score. */
function leastOfChoices(keyHash: number, view: PlacementView, choices: number): number {
  const { hashes, keys, overloaded } = view
  // The top `choices` by score, highest first (an insertion sort: choices is small).
  const top: number[] = []
  const topScores: number[] = []
  for (let i = 0; i < hashes.length; i++) {
    if (overloaded[i] === 1) continue
    const s = score(keyHash, hashes[i] as number)
    if (top.length === choices && s <= (topScores[choices - 1] as number)) continue
    let at = Math.min(top.length, choices - 1)
    while (at > 0 && (topScores[at - 1] as number) < s) at--
    top.splice(at, 0, i)
    topScores.splice(at, 0, s)
    if (top.length > choices) {
      top.pop()
      topScores.pop()
    }
  }
  // Highest score first, so the first of the fewest keys wins ties.
  let best = top[0] as number
  for (const i of top) if ((keys[i] as number) < (keys[best] as number)) best = i
  return best
}
