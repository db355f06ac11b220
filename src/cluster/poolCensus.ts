import type { Placement } from './placements'

/** One live node of a cluster pool, as its heartbeat carried its load (this node's: now). */
export interface PoolCensusNode {
  readonly node: string
  /** Keys of the pool active on it. */
  readonly keys: number
  /** Calls in flight and messages held on it. */
  readonly inFlight: number
  /** It takes no new keys (its in-flight bound is reached, or it is stopping). */
  readonly overloaded: boolean
}

/** The keys the placement records put on one node. */
export interface PoolCensusPlacements {
  readonly node: string
  /** The node is live in the life the records name: false for a dead placement, replaced on its key's next message. */
  readonly live: boolean
  readonly keys: readonly string[]
}

/** A cluster pool across the cluster, read-only: what `ClusterPool.census` answers. */
export interface PoolCensus {
  readonly pool: string
  /** The live nodes, by id, with the load their heartbeats carried. */
  readonly nodes: readonly PoolCensusNode[]
  /** The placement records read, grouped by the node (and life) they name; nodes by id, keys sorted. */
  readonly placements: readonly PoolCensusPlacements[]
  /** How many records were read, and whether the pool has more than the limit allowed. */
  readonly read: number
  readonly truncated: boolean
}

/** `ClusterPool.census`'s default limit on the records it reads. */
export const DEFAULT_CENSUS_LIMIT = 1000

/** Groups `records` by the node they name; `live` says whether a record's node is live in the life it names. */
export function censusOf(
  pool: string,
  nodes: readonly PoolCensusNode[],
  records: readonly (Placement & { readonly key: string })[],
  more: boolean,
  live: (record: Placement) => boolean
): PoolCensus {
  const groups = new Map<string, { node: string; live: boolean; keys: string[] }>()
  for (const record of records) {
    const isLive = live(record)
    // A node's records from an older life are a group of their own: they are dead placements, its current ones are not.
    const id = `${record.node}\u0000${isLive}`
    let group = groups.get(id)
    if (!group) groups.set(id, (group = { node: record.node, live: isLive, keys: [] }))
    group.keys.push(record.key)
  }
  const placements = [...groups.values()]
    .map((group) => ({ ...group, keys: group.keys.sort() }))
    .sort((a, b) => (a.node === b.node ? Number(b.live) - Number(a.live) : a.node < b.node ? -1 : 1))
  return { pool, nodes: [...nodes].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)), placements, read: records.length, truncated: more }
}
