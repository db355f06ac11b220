import { InvalidOptionError } from '../shared/errors'
import { hash32 } from './hash'

/** What a node's heartbeat says of its load, as a placement strategy reads it. */
export interface NodeLoad {
  /** The node's id. */
  readonly node: string
  /** Keys of the pool active on the node. */
  readonly keys: number
  /** The node takes no new keys (its in-flight bound is reached, or it is leaving). Default false. */
  readonly overloaded?: boolean
}

/** Options of a `PlacementView`. */
export interface PlacementViewOptions {
  /**
   * Keys about to be placed in this view, all of them, counted in the
   * bounded strategies' capacity from the first one on. A rebalancer's plan
   * places every key again from empty nodes: counted up front, the bound is
   * the final one throughout, and a key leaves its first choice only when the
   * final bound says so (counted one by one, the early keys meet a bound of
   * nearly nothing and are pushed around, and a join moves several times 1/N
   * at 10 keys per node). Default 0: only the keys in the loads.
   */
  readonly planned?: number
}

/**
 * The live nodes and their loads, as one node sees them, in the shape the
 * strategies read fast: nodes sorted by id (so the order heartbeats arrived
 * in changes no answer), each node's hash computed once. A pool builds one
 * per heartbeat round and calls `add` for every key it places in between, so
 * its next answer counts them.
 */
export class PlacementView {
  /** Node ids, sorted. */
  readonly nodes: readonly string[]
  /** `hash32` of each node id, by index. */
  readonly hashes: Uint32Array
  /** Keys on each node, by index. */
  readonly keys: Float64Array
  /** 1 where the node takes no new keys, by index. */
  readonly overloaded: Uint8Array
  /** How many nodes take new keys. */
  readonly eligible: number
  /** Keys about to be placed, counted in the capacity up front (see `PlacementViewOptions`). */
  readonly planned: number
  readonly #index: Map<string, number>
  #total = 0

  /** Throws `InvalidOptionError` for a node listed twice, an empty id, or a count that is not a whole number ≥ 0. */
  constructor(loads: readonly NodeLoad[], options: PlacementViewOptions = {}) {
    const planned = options.planned ?? 0
    if (!Number.isSafeInteger(planned) || planned < 0) throw new InvalidOptionError('planned', 'a whole number ≥ 0', planned)
    this.planned = planned
    const sorted = [...loads].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
    this.nodes = sorted.map((load) => load.node)
    this.hashes = new Uint32Array(sorted.length)
    this.keys = new Float64Array(sorted.length)
    this.overloaded = new Uint8Array(sorted.length)
    this.#index = new Map()
    let eligible = 0
    sorted.forEach((load, i) => {
      if (typeof load.node !== 'string' || load.node === '') throw new InvalidOptionError('loads[].node', 'a non-empty node id', load.node)
      if (this.#index.has(load.node)) throw new InvalidOptionError('loads', `one entry per node (node "${load.node}" is listed twice)`, load.node)
      if (!Number.isSafeInteger(load.keys) || load.keys < 0) throw new InvalidOptionError(`loads[node "${load.node}"].keys`, 'a whole number ≥ 0', load.keys)
      this.#index.set(load.node, i)
      this.hashes[i] = hash32(load.node)
      this.keys[i] = load.keys
      this.#total += load.keys
      if (load.overloaded === true) this.overloaded[i] = 1
      else eligible++
    })
    this.eligible = eligible
  }

  /** Keys on all the nodes of the view. */
  get total(): number {
    return this.#total
  }

  /** The index of `node` in `nodes`, or -1 if it is not in the view. */
  indexOf(node: string): number {
    return this.#index.get(node) ?? -1
  }

  /** Counts `count` more keys on `node` (a placement just made; negative for keys gone). Ignores a node not in the view. */
  add(node: string, count = 1): void {
    const i = this.indexOf(node)
    if (i < 0) return
    this.keys[i] = (this.keys[i] as number) + count
    this.#total += count
  }
}
