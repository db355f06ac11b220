import { createHash } from 'node:crypto'

/**
 * The node a failed-over branch prefers: the highest hash of (name, node)
 * over the live nodes (rendezvous hashing). Every node computes the same
 * answer from the same list, the names spread evenly, and losing a node moves
 * only that node's names.
 */
export function placeOn(name: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = ''
  for (const node of nodes) {
    const score = createHash('sha256').update(`${name}\u0000${node}`).digest('hex')
    if (best === undefined || score > bestScore) {
      best = node
      bestScore = score
    }
  }
  return best
}
