import type { AnyActorLogic } from 'xstate'
import { readFileSync } from 'node:fs'
import type { ConnectionOptions, TlsOptions } from '@nats-io/transport-node'
import { nats } from './nats'
import type { DurableOptions } from '../keeper/durable/options'
import { readMigrationPlan, type MigrationPlan, type MigrationRecord, type Migrations, type StateCheck } from '../keeper/durable/migrations'
import type { RestartIntensity } from '../supervisor/intensity'
import { InvalidLogicError, InvalidOptionError } from '../shared/errors'
import { MAX_TIMER_MS } from '../shared/clock'
import { assertKnownOptions, readDuration, readOptions } from '../shared/validate'
import { RENAMED_BRANCH_OPTIONS } from '../supervisor/branchOptions'
import { isActorLogic } from '../worker/isActorLogic'
import { clusterNames, readToken } from './keys'
import { ClusterKey, type ClusterKeyOptions } from './signing'
import { DEFAULT_MAX_MESSAGE_BYTES } from './wire'
import { readPoolKinds, type ClusterPoolKind, type PoolConfig } from './poolOptions'

/**
 * A kind of branch every node of the cluster can run: its logic is code, so
 * every node is started with the same kinds and only the kind's name travels.
 */
export interface NodeKind {
  readonly logic: AnyActorLogic
  /**
   * A durable keeper on a store every node shares (PostgresStore): a branch of
   * this kind is restarted on a surviving node when its node dies (the store
   * id is the branch's name).
   */
  readonly durable?: Omit<DurableOptions, 'id'>
  /**
   * A kind without `durable`: the version of its logic (default: the last
   * migration step's, else 1), announced to the other nodes. A branch's state
   * travels with this number; a node on a newer version migrates it on
   * arrival with `migrations` (checked by `validate`), and a node on an older
   * one is never sent it (`VersionTooNewError`). A durable kind declares these
   * three in `durable` instead, where its store's snapshots use them too.
   */
  readonly version?: number
  /** A kind without `durable`: how a state of an older version becomes one of `version` (see `durable.migrations`). */
  readonly migrations?: Migrations<unknown> | MigrationRecord
  /** A kind without `durable`: checks a migrated state before a worker starts from it (see `durable.validate`). */
  readonly validate?: StateCheck
  /** Restart intensity of each branch of this kind (`startBranch`'s `intensity`; named `restart` before 0.2). */
  readonly intensity?: Partial<RestartIntensity>
  readonly idleTimeout?: number
}

/** NATS credentials, passed to the client as they are. */
export type NodeAuth =
  | { readonly user: string; readonly pass: string }
  | { readonly token: string }
  | { readonly nkeySeed: string }
  | { readonly credsFile: string }

/** A pino-shaped logger (console works too); refused network messages are logged with `warn`. */
export interface ClusterLogger {
  /** Receives one refusal (or a period's summary of them) and a line saying what it was. */
  warn(details: Record<string, unknown>, message: string): unknown
}

/** Options of `startNode`. */
export interface NodeOptions {
  /** The NATS servers, e.g. `'nats://127.0.0.1:4222'`. */
  readonly servers: string | readonly string[]
  /** The cluster's name: a namespace on the NATS deployment (letters, digits, `_`, `-`). */
  readonly cluster: string
  /** This node's id (default: a random one); unique in the cluster. */
  readonly nodeId?: string
  readonly auth?: NodeAuth
  /** TLS options for the NATS client, as it takes them. */
  readonly tls?: TlsOptions
  /** The kinds of branch this node can run (the same on every node). */
  readonly kinds?: Readonly<Record<string, NodeKind>>
  /** The keyed pools spread over the cluster (the same on every node), by name; `node.pool(name)` reaches one. */
  readonly pools?: Readonly<Record<string, ClusterPoolKind>>
  /**
   * ms a node's names outlive it: a node that stops renewing them (it died,
   * or lost NATS) loses them this long after its last renewal. Default 5000;
   * renewals every third of it.
   */
  readonly leaseTtl?: number
  /** The largest message accepted from the network, in bytes (default 1 MiB). */
  readonly maxMessageBytes?: number
  /** Where refused messages and undeliverable casts are reported (default: process warnings). */
  readonly logger?: ClusterLogger
  /**
   * Nodes sign what moves state or ownership (requests between nodes and
   * their replies, lease and failover records) and act only on what a
   * trusted key signed: for a NATS account shared with clients that are not
   * nodes. Give it to every node of the cluster (README "Security").
   */
  readonly clusterKey?: ClusterKeyOptions
}

export interface NodeConfig {
  readonly connection: ConnectionOptions
  readonly cluster: string
  readonly nodeId: string | undefined
  readonly kinds: ReadonlyMap<string, NodeKind>
  /** Each kind's version and migrations (a durable kind's from its durable options). */
  readonly plans: ReadonlyMap<string, MigrationPlan>
  readonly pools: ReadonlyMap<string, PoolConfig>
  readonly leaseMs: number
  readonly maxMessageBytes: number
  readonly logger: ClusterLogger
  readonly clusterKey: ClusterKey | undefined
}

/** A global name's lease when `leaseTtl` is not given: ms after the owner's last renewal. */
export const DEFAULT_LEASE_TTL = 5000

const processWarnings: ClusterLogger = {
  // Every message names its source already ("keepsake cluster: ..."), for loggers that print it alone.
  warn: (details, message) => process.emitWarning(`${message} ${JSON.stringify(details)}`)
}

/** Checks `startNode` options, throwing a typed error naming the first bad one. */
export function readNodeOptions(options: unknown): NodeConfig {
  const o = readOptions(options, 'startNode options')
  const servers = typeof o.servers === 'string' ? [o.servers] : o.servers
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new InvalidOptionError('servers', 'a NATS URL or a non-empty array of them', o.servers)
  }
  const cluster = readToken(o.cluster, 'cluster')
  const nodeId = o.nodeId === undefined ? undefined : readToken(o.nodeId, 'nodeId')
  const leaseMs = readDuration(o.leaseTtl, 'leaseTtl', DEFAULT_LEASE_TTL)
  // Renewals and fence checks are timers at fractions of the lease: it must fit one.
  if (leaseMs < 300 || leaseMs > MAX_TIMER_MS) throw new InvalidOptionError('leaseTtl', `at least 300 ms and at most ${MAX_TIMER_MS} ms (~24.8 days)`, o.leaseTtl)
  const maxMessageBytes = readDuration(o.maxMessageBytes, 'maxMessageBytes', DEFAULT_MAX_MESSAGE_BYTES)
  const logger = o.logger === undefined ? processWarnings : (o.logger as ClusterLogger)
  if (typeof logger?.warn !== 'function') throw new InvalidOptionError('logger', 'an object with a warn(details, message) method', o.logger)
  return {
    connection: {
      servers: servers as string[],
      name: `keepsake:${cluster}`,
      inboxPrefix: clusterNames(cluster).inbox,
      maxReconnectAttempts: -1,
      // The client otherwise captures a stack (new Error()) for every request it sends, to decorate a timeout: a
      // cost on every call and KV write (a first call to a new key pays it twice), for a trace nobody reads.
      noAsyncTraces: true,
      ...readAuth(o.auth),
      ...(o.tls === undefined ? {} : { tls: o.tls as TlsOptions })
    },
    cluster,
    nodeId,
    ...readKinds(o.kinds),
    pools: readPoolKinds(o.pools),
    leaseMs,
    maxMessageBytes,
    logger,
    clusterKey: o.clusterKey === undefined ? undefined : ClusterKey.read(o.clusterKey)
  }
}

const VERSIONING = ['version', 'migrations', 'validate'] as const

function readKinds(value: unknown): { kinds: Map<string, NodeKind>; plans: Map<string, MigrationPlan> } {
  const kinds = new Map<string, NodeKind>()
  const plans = new Map<string, MigrationPlan>()
  for (const [name, kind] of Object.entries(readOptions(value, 'kinds'))) {
    const k = readOptions(kind, `kinds.${name}`)
    assertKnownOptions(k, ['logic', 'durable', 'intensity', 'idleTimeout', ...VERSIONING], `kinds.${name}`, RENAMED_BRANCH_OPTIONS)
    if (!isActorLogic(k.logic)) throw new InvalidLogicError(k.logic)
    if (k.durable !== undefined) {
      const durable = readOptions(k.durable, `kinds.${name}.durable`)
      // One place per kind: a durable kind's store stamps its snapshots with durable.version.
      const misplaced = VERSIONING.find((key) => k[key] !== undefined)
      if (misplaced) throw new InvalidOptionError(`kinds.${name}.${misplaced}`, `absent on a durable kind (give it as kinds.${name}.durable.${misplaced})`, k[misplaced])
      plans.set(name, readMigrationPlan(durable, `kinds.${name}.durable`))
    } else {
      plans.set(name, readMigrationPlan(k, `kinds.${name}`))
    }
    kinds.set(name, k as unknown as NodeKind)
  }
  return { kinds, plans }
}

/** Credentials as the NATS client takes them (an nkey seed or a creds file through its authenticators). */
function readAuth(value: unknown): Partial<ConnectionOptions> {
  if (value === undefined) return {}
  const a = readOptions(value, 'auth')
  const text = (key: string) => {
    if (typeof a[key] !== 'string' || a[key] === '') throw new InvalidOptionError(`auth.${key}`, 'a non-empty string', a[key])
    return a[key] as string
  }
  if ('user' in a) return { user: text('user'), pass: text('pass') }
  if ('token' in a) return { token: text('token') }
  if ('nkeySeed' in a) return { authenticator: nats().transport.nkeyAuthenticator(new TextEncoder().encode(text('nkeySeed'))) }
  if ('credsFile' in a) {
    const file = text('credsFile')
    let creds: Uint8Array
    try {
      creds = readFileSync(file)
    } catch {
      throw new InvalidOptionError('auth.credsFile', 'a readable NATS .creds file', file)
    }
    return { authenticator: nats().transport.credsAuthenticator(creds) }
  }
  throw new InvalidOptionError('auth', '{ user, pass }, { token }, { nkeySeed } or { credsFile }', value)
}
