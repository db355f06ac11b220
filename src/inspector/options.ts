import { isIP } from 'node:net'
import type { PoolCensus } from '../cluster/poolCensus'
import { InvalidOptionError } from '../shared/errors'
import { MAX_TIMER_MS } from '../shared/clock'
import { isInstance, readDuration, readOptions } from '../shared/validate'
import { Branch, type AnyBranch } from '../supervisor/Branch'
import { Supervisor } from '../supervisor/Supervisor'
import { redactSecrets } from './redaction'
import { DEFAULT_STATE_LIMITS, type Redactor, type StateLimits } from './stateView'

/**
 * What the inspector reads of a cluster node: a `ClusterNode` from
 * `keepsake/cluster` is one (described by shape, so the inspector never loads
 * the NATS client).
 */
export interface InspectedNode {
  readonly id: string
  readonly cluster: string
  /** The supervisor of the global branches the node runs: the default root. */
  readonly supervisor: Supervisor
  /** The nodes of the cluster whose heartbeat is fresh. */
  nodes(): string[]
  /** The global names this node holds. */
  held(): string[]
  /** The names of the node's cluster pools, if it has any: the page shows each across the cluster. */
  poolNames?(): string[]
  /** One of them (a name `poolNames` gave). */
  pool?(name: string): InspectedPool
}

/** What the inspector reads of a cluster pool (a `ClusterPool` is one): read-only. */
export interface InspectedPool {
  /** Each live node's keys of the pool and whether it takes new ones, as the heartbeats carried them. */
  loads(): readonly { readonly node: string; readonly keys: number; readonly overloaded?: boolean }[]
  /** The loads and which node the placement records put each key on (at most `limit` records read). */
  census(options: { readonly limit: number }): Promise<PoolCensus>
}

/** Options of `startInspector`. */
export interface InspectorOptions {
  /**
   * The tree to show: a supervisor (for a pool, `pool.supervisor`) or a
   * branch. Default: every root of the process (each live supervisor or
   * branch no supervisor holds).
   */
  root?: Supervisor | AnyBranch
  /**
   * A cluster node: the page shows the node, its cluster's live nodes, the
   * names it holds and its cluster pools across the nodes (keys per node
   * from the heartbeats; which keys, on demand, from the placement records:
   * `GET /api/pools?name=<pool>&limit=<n>`, keys through `redact`); the
   * default root is its supervisor.
   */
  node?: InspectedNode
  /** Default 0: a free port (read it from `url`). */
  port?: number
  /** Default `127.0.0.1`. Any other than a loopback address needs a `token` and `allowedHosts`. */
  host?: string
  /**
   * The host names (as in the `Host` header, without the port) the inspector
   * answers to, besides the address it listens on; any other gets 421, so a
   * page elsewhere can't reach it by DNS rebinding. On loopback, loopback
   * names (`localhost`, `127.x.x.x`, `::1`) are always accepted; off
   * loopback the list is required.
   */
  allowedHosts?: readonly string[]
  /**
   * Needed for everything but the page itself: the tree, states, the
   * timeline, the stream and the actions (kill a worker, restart or
   * terminate a child, transfer a branch); at least 16 characters. Scripts
   * send `Authorization: Bearer <token>`; the page asks for it (or takes it
   * from `url#token=...`) and trades it for a session cookie. Without it the
   * inspector is loopback only and read-only.
   */
  token?: string
  /**
   * Applied to every value of a branch's state and of a crash reason before it
   * leaves the process (see {@link Redactor}). Default: {@link redactSecrets},
   * which hides the usual secret-bearing keys and `token=...` in text.
   */
  redact?: Redactor
  /** Bounds on a branch's state as the page gets it (default 64 KiB of JSON, 16 levels, 200 items, 2000 characters a string). */
  stateLimits?: Partial<StateLimits>
  /** ms between updates of the page (default 1000); crashes and restarts are sent at once. */
  interval?: number
}

/** The options, checked, with defaults. */
export interface InspectorConfig {
  readonly root: Supervisor | AnyBranch | undefined
  readonly node: InspectedNode | undefined
  readonly port: number
  readonly host: string
  /** Host names the `Host` header may carry, lower case. */
  readonly allowedHosts: readonly string[]
  readonly token: string | undefined
  readonly redact: Redactor
  readonly stateLimits: StateLimits
  readonly interval: number
}

const MIN_TOKEN = 16

/** Checks `startInspector` options, throwing `InvalidOptionError` naming the first bad one. */
export function readInspectorOptions(options: unknown): InspectorConfig {
  const o = readOptions(options, 'startInspector options')
  const root = o.root
  if (root !== undefined && !isInstance(root, Supervisor) && !isInstance(root, Branch)) {
    throw new InvalidOptionError('root', 'a Supervisor or a Branch (or absent: every root of the process)', root)
  }
  const node = o.node as InspectedNode | undefined
  if (node !== undefined && !isInspectedNode(node)) {
    throw new InvalidOptionError('node', 'a cluster node from startNode (keepsake/cluster)', node)
  }
  const port = o.port ?? 0
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError('port', 'an integer from 0 (a free port) to 65535', port)
  }
  const host = o.host ?? '127.0.0.1'
  if (typeof host !== 'string' || host.length === 0) throw new InvalidOptionError('host', 'a host name or IP address', host)
  const token = o.token
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN)) {
    throw new InvalidOptionError('token', `a string of at least ${MIN_TOKEN} characters (for example randomBytes(24).toString('base64url'))`, token)
  }
  if (token === undefined && !isLoopback(host)) {
    throw new InvalidOptionError('token', `set when host is not a loopback address (host is "${host}"): anyone who reaches the port would see the tree`, token)
  }
  const allowedHosts = readAllowedHosts(o.allowedHosts)
  if (allowedHosts.length === 0 && !isLoopback(host)) {
    throw new InvalidOptionError('allowedHosts', `set when host is not a loopback address (host is "${host}"): the host names the page is opened by, e.g. ['inspector.internal']`, o.allowedHosts)
  }
  if (o.redact !== undefined && typeof o.redact !== 'function') {
    throw new InvalidOptionError('redact', 'a function (key, value, path, branchId) => value to show', o.redact)
  }
  const interval = readDuration(o.interval, 'interval', 1000)
  if (interval < 50 || interval > MAX_TIMER_MS) throw new InvalidOptionError('interval', `at least 50 ms and at most ${MAX_TIMER_MS} ms (~24.8 days)`, interval)
  return {
    root: (root as Supervisor | AnyBranch | undefined) ?? node?.supervisor,
    node,
    port,
    host,
    allowedHosts: isWildcard(host) || allowedHosts.includes(bare(host)) ? allowedHosts : [...allowedHosts, bare(host)],
    token,
    redact: (o.redact as Redactor | undefined) ?? redactSecrets,
    stateLimits: readStateLimits(o.stateLimits),
    interval
  }
}

function isInspectedNode(value: unknown): boolean {
  const o = value as Partial<Record<keyof InspectedNode, unknown>> | null
  try {
    return typeof o === 'object' && o !== null && typeof o.id === 'string' && typeof o.cluster === 'string' &&
      typeof o.nodes === 'function' && typeof o.held === 'function' && isInstance(o.supervisor, Supervisor) &&
      (o.poolNames === undefined || (typeof o.poolNames === 'function' && typeof o.pool === 'function'))
  } catch {
    return false
  }
}

function readStateLimits(value: unknown): StateLimits {
  const o = readOptions(value, 'stateLimits')
  const limits: Record<string, number> = { ...DEFAULT_STATE_LIMITS }
  for (const name of Object.keys(DEFAULT_STATE_LIMITS)) {
    const given = o[name]
    if (given === undefined) continue
    if (typeof given !== 'number' || !Number.isInteger(given) || given < 1) {
      throw new InvalidOptionError(`stateLimits.${name}`, 'an integer >= 1', given)
    }
    limits[name] = given
  }
  return limits as unknown as StateLimits
}

function readAllowedHosts(value: unknown): string[] {
  if (value === undefined) return []
  const what = 'a list of host names or addresses, without a port (e.g. [\'inspector.internal\'])'
  if (!Array.isArray(value) || value.length > 100) throw new InvalidOptionError('allowedHosts', what, value)
  return value.map((name: unknown) => {
    if (typeof name !== 'string' || !(/^[0-9a-z._-]+$/i.test(name) || isIP(bare(name)) === 6)) {
      throw new InvalidOptionError('allowedHosts', what, value)
    }
    return bare(name)
  })
}

/** A host name or address as compared: lower case, IPv6 without brackets. */
export function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
}

/** `0.0.0.0` or `::`: every address of the machine. */
export function isWildcard(host: string): boolean {
  const name = bare(host)
  return name === '0.0.0.0' || name === '::' || name === '0:0:0:0:0:0:0:0'
}

/** `localhost`, `127.x.x.x` or `::1`. */
export function isLoopback(host: string): boolean {
  const name = bare(host)
  if (name === 'localhost') return true
  if (isIP(name) === 4) return name.startsWith('127.')
  return name === '::1' || name === '0:0:0:0:0:0:0:1'
}
