import { InvalidOptionError } from '../shared/errors'
import { assertKnownOptions, readOptions } from '../shared/validate'
import type { StopReason } from './types'

/**
 * OTP's restart types: `permanent` is always restarted, `transient` only after
 * an abnormal exit (a failure), `temporary` never (and its spec is dropped).
 */
export type RestartType = 'permanent' | 'transient' | 'temporary'

/** ms to stop gracefully before being cut off, `'brutal'` (at once) or `'infinity'`. */
export type Shutdown = number | 'brutal' | 'infinity'

/** Anything a supervisor can supervise: a branch, a supervisor, or your own. */
export interface Supervised {
  readonly id: string
  readonly status: string
  /** Stops gracefully within `timeout` ms (0: at once), then resolves. */
  stop(options?: { timeout?: number }): Promise<void>
  /** Tells when it stopped, and why. */
  on(event: 'stop', handler: (reason: StopReason) => void): unknown
  /** Removes a handler `on` added. */
  off(event: 'stop', handler: (reason: StopReason) => void): unknown
}

/** What a child's start function is told. */
export interface StartContext {
  /** The instance this start replaces, when it is a restart. */
  readonly previous: Supervised | undefined
}

/** Exponential restart backoff, with jitter and a cap, so a flaky device is not hammered. */
export interface Backoff {
  /** Delay before the first restart, ms (default 100). */
  readonly initialMs?: number
  /** The cap, ms (default 30,000). */
  readonly maxMs?: number
  /** Growth per consecutive restart (default 2). */
  readonly factor?: number
  /** Spread, as a fraction of the delay: 0.2 gives delays within +-20% (default 0.2). */
  readonly jitter?: number
  /** A child that stayed up this long starts over at `initialMs` (default `maxMs`). */
  readonly resetAfterMs?: number
  /** Source of randomness for the jitter (default Math.random), for deterministic tests. */
  readonly random?: () => number
}

/** How a supervisor starts, restarts and stops one child. */
export interface ChildSpec {
  /** Unique among the supervisor's children (optional for a dynamic supervisor). */
  readonly id?: string
  /** Starts the child. Called again for each restart. */
  readonly start: (context: StartContext) => Supervised | Promise<Supervised>
  /** Default `'permanent'`. */
  readonly restart?: RestartType
  /** Default 5000 ms for a worker, `'infinity'` for a supervisor (OTP's defaults). */
  readonly shutdown?: Shutdown
  /** Default `'worker'`. */
  readonly type?: 'worker' | 'supervisor'
  /** Its own exit can shut the supervisor down (see `autoShutdown`); not with `permanent`. */
  readonly significant?: boolean
  /** Wait before each restart, growing while the child keeps failing. */
  readonly backoff?: Backoff
}

/** A child spec, checked, with its defaults. */
export interface ChildConfig {
  readonly id: string
  readonly start: ChildSpec['start']
  readonly restart: RestartType
  readonly shutdownMs: number
  readonly type: 'worker' | 'supervisor'
  readonly significant: boolean
  readonly backoff: Required<Backoff> | undefined
}

/** Whether a child that stopped for `reason` is restarted (OTP's do_restart, one case per type). */
export function isRestarted(type: RestartType, reason: StopReason): boolean {
  switch (type) {
    case 'permanent':
      return true
    case 'transient':
      return reason.kind === 'failure'
    case 'temporary':
      return false
  }
}

/** The delay before restart number `attempt` (0-based) of a child. */
export function backoffDelay(backoff: Required<Backoff>, attempt: number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** attempt)
  const spread = 1 - backoff.jitter + 2 * backoff.jitter * backoff.random()
  return Math.min(backoff.maxMs, Math.max(0, Math.round(base * spread)))
}

const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary']

/** The options of a child spec (`ChildSpec`). */
const CHILD_SPEC_OPTIONS: readonly string[] = ['id', 'start', 'restart', 'shutdown', 'type', 'significant', 'backoff']

/** Checks a child spec; `fallbackId` names a child of a dynamic supervisor that has none. */
export function readChildSpec(spec: unknown, fallbackId: (() => string) | undefined): ChildConfig {
  const o = readOptions(spec, 'child spec')
  const id = o.id === undefined && fallbackId ? fallbackId() : o.id
  if (typeof id !== 'string' || id.length === 0) throw new InvalidOptionError('id', 'a non-empty string', id)
  assertKnownOptions(o, CHILD_SPEC_OPTIONS, `child spec "${id}"`)
  if (typeof o.start !== 'function') throw new InvalidOptionError(`${id}.start`, 'a function that starts the child', o.start)
  const restart = o.restart ?? 'permanent'
  if (!RESTART_TYPES.includes(restart as RestartType)) {
    throw new InvalidOptionError(`${id}.restart`, `one of ${RESTART_TYPES.join(', ')}`, restart)
  }
  const type = o.type ?? 'worker'
  if (type !== 'worker' && type !== 'supervisor') throw new InvalidOptionError(`${id}.type`, "'worker' or 'supervisor'", type)
  const significant = o.significant ?? false
  if (typeof significant !== 'boolean') throw new InvalidOptionError(`${id}.significant`, 'a boolean', significant)
  if (significant && restart === 'permanent') {
    throw new InvalidOptionError(`${id}.significant`, "false for a permanent child (make it 'transient' or 'temporary')", significant)
  }
  return {
    id,
    start: o.start as ChildSpec['start'],
    restart: restart as RestartType,
    shutdownMs: readShutdown(o.shutdown, id, type === 'supervisor' ? Infinity : 5000),
    type,
    significant,
    backoff: readBackoff(o.backoff, id)
  }
}

function readShutdown(value: unknown, id: string, fallback: number): number {
  if (value === undefined) return fallback
  if (value === 'brutal') return 0
  if (value === 'infinity') return Infinity
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  throw new InvalidOptionError(`${id}.shutdown`, "ms >= 0, 'brutal' or 'infinity'", value)
}

function readBackoff(value: unknown, id: string): Required<Backoff> | undefined {
  if (value === undefined) return undefined
  const o = readOptions(value, `${id}.backoff`)
  const num = (key: string, fallback: number, ok: (n: number) => boolean, expected: string): number => {
    const v = o[key] === undefined ? fallback : o[key]
    if (typeof v !== 'number' || !ok(v)) throw new InvalidOptionError(`${id}.backoff.${key}`, expected, v)
    return v
  }
  const initialMs = num('initialMs', 100, (n) => Number.isFinite(n) && n >= 0, 'a finite number of ms >= 0')
  const maxMs = num('maxMs', 30_000, (n) => Number.isFinite(n) && n >= initialMs, 'a finite number of ms >= initialMs')
  const random = o.random ?? Math.random
  if (typeof random !== 'function') throw new InvalidOptionError(`${id}.backoff.random`, 'a function', random)
  return {
    initialMs,
    maxMs,
    factor: num('factor', 2, (n) => Number.isFinite(n) && n >= 1, 'a number >= 1'),
    jitter: num('jitter', 0.2, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
    resetAfterMs: num('resetAfterMs', maxMs, (n) => Number.isFinite(n) && n >= 0, 'a finite number of ms >= 0'),
    random: random as () => number
  }
}
