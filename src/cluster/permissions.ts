import { clusterNames, readToken } from './keys'

/** A NATS user's permissions, in nats-server's config shape (its config syntax takes this object as JSON). */
export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] }
  readonly subscribe: { readonly allow: readonly string[] }
}

/**
 * The least a node of `cluster` needs on NATS: its own subjects
 * (`keepsake.<cluster>.>`: requests between nodes and their replies) and, on
 * JetStream, the API subjects of its KV buckets (leases, failover records, pool placements), their puts and their
 * watches, and nothing else. Give it to each node's user, in an account of
 * the cluster's own; any other user then can't call, move, stop or plant a
 * branch, nor read its state or leases (see docs/cluster.md, "Security").
 *
 * @example
 * // nats-server.conf: accounts { SHOP: { jetstream: enabled, users: [
 * //   { user: node1, password: "...", permissions: <JSON.stringify(natsPermissions('shop'))> } ] } }
 */
export function natsPermissions(cluster: string): NatsPermissions {
  const names = clusterNames(readToken(cluster, 'cluster'))
  const bucketSubjects = [names.leases, names.specs, names.placements].flatMap((bucket) => {
    const stream = `KV_${bucket}`
    return [
      `$JS.API.STREAM.CREATE.${stream}`,
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}.>`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.FC.${stream}.>`,
      `$KV.${bucket}.>`
    ]
  })
  const own = `keepsake.${readToken(cluster, 'cluster')}.>`
  return { publish: { allow: [own, '$JS.API.INFO', ...bucketSubjects] }, subscribe: { allow: [own] } }
}
