import type { PoolCensus } from '../cluster/poolCensus'
import type { InspectedNode } from './options'
import type { ClusterPoolSummary } from './model'
import { RedactionFailed, type Redactor } from './stateView'

/** Records `GET /api/pools` reads at most, whatever the `limit` asked. */
export const MAX_POOL_KEYS = 10_000

/** Each of the node's cluster pools across the live nodes, from the heartbeats: no read of the bucket. */
export function poolSummaries(node: InspectedNode): ClusterPoolSummary[] {
  if (!node.poolNames || !node.pool) return []
  const pool = node.pool.bind(node)
  return node.poolNames().map((name) => {
    const nodes = pool(name)
      .loads()
      .map((load) => ({ node: load.node, keys: load.keys, overloaded: load.overloaded === true }))
    return { name, keys: nodes.reduce((sum, n) => sum + n.keys, 0), nodes }
  })
}

/**
 * A pool's census as the page gets it: every key passed through `redact`
 * (as a string in a branch's state would be: key `key`, path `['pools',
 * pool, node]`, the pool as the branch id), so a key that carries a secret
 * (`user:token=...`) is shown as the redactor says. Throws RedactionFailed
 * if `redact` throws: nothing of the census is sent then.
 */
export function redactCensus(census: PoolCensus, redact: Redactor): PoolCensus {
  try {
    const placements = census.placements.map((group) => ({
      ...group,
      keys: group.keys.map((key) => {
        const shown = redact('key', key, ['pools', census.pool, group.node], census.pool)
        return typeof shown === 'string' ? shown : String(shown)
      })
    }))
    return { ...census, placements }
  } catch (error) {
    throw new RedactionFailed(`redact threw on a key of pool "${census.pool}": ${error instanceof Error ? error.message : String(error)}`)
  }
}
