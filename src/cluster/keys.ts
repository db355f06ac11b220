import { InvalidOptionError } from '../shared/errors'

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/

/** A cluster name or node id: one subject token (letters, digits, `_`, `-`; at most 64). */
export function readToken(value: unknown, option: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new InvalidOptionError(option, 'letters, digits, "_" or "-" (1 to 64 of them)', value)
  }
  return value
}

/** The longest global name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 512

/** A global name: a non-empty string of at most 512 UTF-8 bytes. */
export function readName(value: unknown, option = 'name'): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_NAME_BYTES) {
    throw new InvalidOptionError(option, `a non-empty string of at most ${MAX_NAME_BYTES} bytes`, value)
  }
  return value
}

/**
 * A name as one KV key token: base64url of its UTF-8 bytes, so no name (dots,
 * `*`, `>`, spaces) can reach another key or subject.
 */
export function nameKey(name: string): string {
  return `n.${Buffer.from(name, 'utf8').toString('base64url')}`
}

/** The name a `nameKey` encodes, or undefined for any other key. */
export function nameOfKey(key: string): string | undefined {
  return tokenAfter('n.', key)
}

/** What the base64url token after `prefix` in `key` encodes, or undefined if `key` is not `prefix` and one token. */
function tokenAfter(prefix: string, key: string): string | undefined {
  const token = key.startsWith(prefix) ? key.slice(prefix.length) : ''
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined
  return Buffer.from(token, 'base64url').toString('utf8')
}

/** A cluster pool key's placement record: the pool (a token) and the key as one base64url token. */
export function placementKey(pool: string, key: string): string {
  return `p.${pool}.${Buffer.from(key, 'utf8').toString('base64url')}`
}

/** The key of a cluster pool whose placement record is `recordKey`, or undefined if it is not one of `pool`'s. */
export function placementKeyOf(pool: string, recordKey: string): string | undefined {
  return tokenAfter(`p.${pool}.`, recordKey)
}

/** The key of a node's heartbeat. */
export function nodeKey(nodeId: string): string {
  return `node.${nodeId}`
}

/** The node id a `nodeKey` holds, or undefined. */
export function nodeOfKey(key: string): string | undefined {
  if (!key.startsWith('node.')) return undefined
  const id = key.slice(5)
  return TOKEN.test(id) ? id : undefined
}

/** The names one cluster uses on NATS: everything is under its own prefix and buckets. */
export interface ClusterNames {
  readonly leases: string
  readonly specs: string
  /** The placements of cluster pools' keys (docs/design/cluster-pools.md). */
  readonly placements: string
  /** Where the cluster's nodes get replies (NATS's inbox prefix), so its replies stay on its own subjects. */
  readonly inbox: string
  node(nodeId: string): string
  /** Where a node takes the messages of its cluster pools' keys. */
  pool(nodeId: string): string
}

export function clusterNames(cluster: string): ClusterNames {
  return {
    leases: `keepsake_${cluster}_leases`,
    specs: `keepsake_${cluster}_specs`,
    placements: `keepsake_${cluster}_placements`,
    inbox: `keepsake.${cluster}.inbox`,
    node: (nodeId) => `keepsake.${cluster}.node.${nodeId}`,
    pool: (nodeId) => `keepsake.${cluster}.pool.${nodeId}`
  }
}
