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
export { ClusterPool, type PoolLoad } from './cluster/ClusterPool'
export { DEFAULT_CENSUS_LIMIT, type PoolCensus, type PoolCensusNode, type PoolCensusPlacements } from './cluster/poolCensus'
export { DEFAULT_MAX_IN_FLIGHT_PER_KEY, DEFAULT_MAX_IN_FLIGHT_PER_NODE, DEFAULT_CLUSTER_POOL_IDLE_TIMEOUT, type ClusterPoolKind, type FailoverOptions, type RebalanceOptions } from './cluster/poolOptions'
export {
  boundedHashing,
  localFirst,
  leastLoaded,
  capacity,
  DEFAULT_EPSILON,
  type PlacementStrategy,
  type BoundedHashingOptions,
  type LocalFirstOptions,
  type LeastLoadedOptions
} from './cluster/strategies'
export { auditActivations, type ActivationAudit, type KeyActivation } from './cluster/audit'
export { PlacementView, type NodeLoad, type PlacementViewOptions } from './cluster/placementView'
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
  WireValueError,
  NoNodeError,
  UnknownPoolError,
  KeyOverloadedError,
  NodeOverloadedError,
  OutcomeUnknownError
} from './cluster/errors'
