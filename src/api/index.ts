export { startBranch } from './startBranch'
export { call, callAll, cast, send, whereis } from './messaging'
export type {
  BranchTarget,
  EventOf,
  LogicOf,
  RegisteredName,
  RegisteredNames,
  Register,
  ReplyOf,
  TypedTarget,
  UnregisteredName
} from './messaging'
export { Branch, DEFAULT_CALL_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT, type AnyBranch } from '../supervisor/Branch'
export { DEFAULT_BRANCH_INTENSITY } from '../supervisor/branchOptions'
export { eventDigest, type Grouper } from '../supervisor/dedupe'
export type { RestartIntensity } from '../supervisor/intensity'
export type {
  BranchEvents,
  BranchOptions,
  BranchPart,
  BranchStatus,
  CallOptions,
  CastOptions,
  CrashReport,
  EmittedOf,
  Listener,
  ReplyFor,
  RestartReport,
  StateOf,
  StopReason,
  SupervisorEvents
} from '../supervisor/types'
export { reply, respond, deferReply, replyTo, type ReplyToken } from '../worker/reply'
export type { Replies, ReplyNotDeclared, ReplyValue } from '../worker/replyTypes'
export { table } from '../worker/tables'
export type { Isolation, LogicModule, ResourceLimits } from '../worker/isolated/options'
export { WorkerHungError, WorkerExitedError, UncloneableError, LogicModuleError } from '../worker/isolated/errors'
export { systemClock, type Clock } from '../shared/clock'
export {
  KeepsakeError,
  InvalidLogicError,
  InvalidEventError,
  InvalidOptionError,
  UnknownOptionError,
  NameTakenError,
  UnknownNameError,
  BranchStoppedError,
  CallTimeoutError,
  WorkerCrashedError,
  RestartIntensityExceeded,
  BranchStartError,
  UnkeepableStateError,
  NotInBranchError,
  UnknownChildError,
  ChildAlreadyExistsError,
  ChildRunningError,
  ChildRestartingError,
  ChildStartError,
  SupervisorFullError,
  SupervisorStoppedError,
  RecoveryError,
  SnapshotMigrationError,
  ReplayDivergenceError,
  LeaderDiedError,
  KeyTakenError,
  CallRecursionError
} from '../shared/errors'
export { startPool, Pool, DEFAULT_POOL_IDLE_TIMEOUT, type PoolOptions } from './pool'
export { startSupervisor, startDynamicSupervisor, branchSpec, supervisorSpec, transfer } from './supervision'
export type { BranchSpecOptions, SupervisorSpecOptions } from './supervision'
export { Supervisor } from '../supervisor/Supervisor'
export type { AutoShutdown, ChildInfo, Strategy, SupervisorOptions, TreeNode } from '../supervisor/Supervisor'
export type { Backoff, ChildSpec, RestartType, Shutdown, StartContext, Supervised } from '../supervisor/childSpec'
export { reportCrashes, type CrashLogger, type Offender, type SupervisorReport } from '../reports/crashReports'
export type { ReasonRecord } from '../reports/reason'
export { MemoryStore } from '../stores/MemoryStore'
export type {
  AppendRequest,
  JsonValue,
  KeeperStore,
  ListSnapshotsOptions,
  NewEvent,
  NewSnapshot,
  ReadOptions,
  SnapshotInfo,
  StoredEvent,
  StoredSnapshot,
  TagPage,
  TagQueryOptions
} from '../stores/KeeperStore'
export {
  JournalConflictError,
  SnapshotConflictError,
  CorruptRecordError,
  StoreUnavailableError,
  MissingDriverError,
  StoreClosedError,
  InvalidRecordError
} from '../stores/errors'
export type { DurableOptions, EventAdapter } from '../keeper/durable/options'
export {
  migrateStore,
  snapshotVersions,
  type MigrateStoreOptions,
  type MigrationOutcome,
  type MigrationReport,
  type MigrationTarget,
  type VersionCount
} from '../keeper/durable/operator'
export { migrations, Migrations, type MigrationContext, type MigrationRecord, type MigrationStep, type StateCheck } from '../keeper/durable/migrations'
