import { isIP } from 'node:net'
import { InvalidOptionError } from '../shared/errors'
import { MAX_TIMER_MS } from '../shared/clock'
import { isInstance, readDuration, readOptions } from '../shared/validate'
import { Branch, type AnyBranch } from '../supervisor/Branch'
import { Supervisor } from '../supervisor/Supervisor'
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
}

/** Options of `startInspector`. */
export interface InspectorOptions {
  /**
   * The tree to show: a supervisor (for a pool, `pool.supervisor`) or a
   * branch. Default: every root of the process (each live supervisor or
   * branch no supervisor holds).
   */
  root?: Supervisor | AnyBranch
  /** A cluster node: the page shows the node, its cluster's live nodes and the names it holds; the default root is its supervisor. */
  node?: InspectedNode
  /** Default 0: a free port (read it from `url`). */
  port?: number
  /** Default `127.0.0.1`. Any other than a loopback address needs a `token`. */
  host?: string
  /**
   * Enables the actions (kill a worker, restart or terminate a child,
   * transfer a branch) for requests that carry it; at least 16 characters.
   * Without it the inspector is read-only. Open the page as `url#token=...`.
   */
  token?: string
  /** Applied to every value of a branch's state before it leaves the process (see {@link Redactor}). */
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
  readonly token: string | undefined
  readonly redact: Redactor | undefined
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
    token,
    redact: o.redact as Redactor | undefined,
    stateLimits: readStateLimits(o.stateLimits),
    interval
  }
}

function isInspectedNode(value: unknown): boolean {
  const o = value as Partial<Record<keyof InspectedNode, unknown>> | null
  try {
    return typeof o === 'object' && o !== null && typeof o.id === 'string' && typeof o.cluster === 'string' &&
      typeof o.nodes === 'function' && typeof o.held === 'function' && isInstance(o.supervisor, Supervisor)
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

/** `localhost`, `127.x.x.x` or `::1`. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1'
}
