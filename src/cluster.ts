/**
 * keepsake/cluster: branches across Node processes on NATS JetStream. Only
 * this subpath loads the NATS client (@nats-io/transport-node, /jetstream,
 * /kv, optional peer dependencies).
 */
export { startNode, ClusterNode, type GlobalBranchOptions } from './cluster/Node'
export { DEFAULT_LEASE_TTL, type ClusterLogger, type NodeAuth, type NodeKind, type NodeOptions } from './cluster/options'
export { DEFAULT_MAX_MESSAGE_BYTES } from './cluster/wire'
export { MAX_NAME_BYTES } from './cluster/keys'
export { MAX_CLOCK_SKEW_MS } from './cluster/sealed'
export type { ClusterKeyOptions } from './cluster/signing'
export { natsPermissions, type NatsPermissions } from './cluster/permissions'
export {
  ClusterUnavailableError,
  NodeUnavailableError,
  TransferFailedError,
  VersionTooNewError,
  NoCompatibleNodeError,
  NotOwnerError,
  UnknownKindError,
  InvalidMessageError,
  RemoteError,
  WireValueError
} from './cluster/errors'
