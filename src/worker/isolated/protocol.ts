import type { EventObject, Snapshot } from 'xstate'
import type { PendingDelay } from '../delays'
import type { Change } from '../../shared/changes'
import { LogicModuleError, UncloneableError } from './errors'

/**
 * The wire between a branch (in the parent) and the host running its isolated
 * worker (in a worker thread or a child process). Every message names the
 * incarnation it is about, so a late message of a dead incarnation is dropped.
 * Values cross by structured clone.
 */

/** Where an incarnation starts: the logic's initial state, or xstate's persisted form. */
export type WirePoint =
  | { readonly kind: 'initial'; readonly input: unknown }
  | { readonly kind: 'persisted'; readonly snapshot: Snapshot<unknown>; readonly delays: readonly PendingDelay[] }

/** A table's entries, as they cross at a start. */
export type WireTables = readonly (readonly [name: string, entries: readonly (readonly [unknown, unknown])[]])[]

/**
 * What a snapshot says of the event that led to it, for a durable branch:
 * `event` the event itself (a journal appends it), `type` only its type (a
 * snapshot-mode keeper only needs to know one was processed).
 */
export type EventReport = 'event' | 'type'

export type ParentMessage =
  /** Sent once, first: the module to take the logic from, and what snapshots report of their events (nothing when undefined). */
  | { readonly t: 'load'; readonly url: string; readonly export: string; readonly events?: EventReport }
  | { readonly t: 'start'; readonly inc: number; readonly point: WirePoint; readonly tables: WireTables }
  /** One message: its event, and for `callAll` the events after it in `rest` (applied all or none). `ref` is 0 for a cast. */
  | { readonly t: 'deliver'; readonly inc: number; readonly ref: number; readonly event: EventObject; readonly rest?: readonly EventObject[] }
  | { readonly t: 'dispose'; readonly inc: number }

/** An error as it crosses: enough to rebuild it on the other side. */
export interface WireError {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
  readonly path?: string
  readonly module?: string
}

export type HostMessage =
  /**
   * A transition's state, in xstate's persisted form without its context
   * (absent when only the context changed: the rest is the state sent before);
   * `context`: how its context differs from the one sent before in this
   * incarnation (the first replaces it whole; absent when the logic's state
   * has no context), so a call's cost does not grow with the state. `answers`: replies given inside
   * that transition, by call ref. `delays`: delayed events pending after it.
   * `event`: the event processed (or just its type), when the parent asked
   * for it (see {@link EventReport}); absent for the initial state. `d`: the
   * state came from the message being delivered (its `processed` follows).
   * `p`: it is that message's last state, and its `processed` (with the
   * reply token of a deferred answer in `deferred`): one message back for most calls.
   */
  | {
      readonly t: 'snapshot'
      readonly inc: number
      readonly snapshot?: Snapshot<unknown>
      readonly context?: readonly Change[]
      readonly d?: true
      readonly p?: true
      readonly deferred?: string
      readonly event?: EventObject
      readonly answers?: readonly (readonly [ref: number, value: unknown])[]
      readonly delays?: readonly PendingDelay[]
    }
  /**
   * The common end of a call, flat: the delivered message's last state, which set at most one field
   * of the context (`key` to `value`) and answered the call `ref` with `answer`. It stands for the
   * snapshot message {@link expandCalled} makes of it: one object to clone each way instead of six.
   */
  | { readonly t: 'called'; readonly inc: number; readonly ref: number; readonly answer: unknown; readonly key?: string; readonly value?: unknown }
  /** A reply given outside a transition (a deferred reply), or why it could not cross. */
  | { readonly t: 'answer'; readonly inc: number; readonly ref: number; readonly value?: unknown; readonly error?: WireError }
  /** A delivered message was processed; `deferred` is its call's reply token if its answer was deferred. */
  | { readonly t: 'processed'; readonly inc: number; readonly deferred?: string }
  | { readonly t: 'crash'; readonly inc: number; readonly error: WireError }
  | { readonly t: 'done'; readonly inc: number }
  /** A table write, to mirror into the keeper's tables (they outlive the host). */
  | { readonly t: 'table'; readonly name: string; readonly op: 'set' | 'delete' | 'clear'; readonly key?: unknown; readonly value?: unknown }

/** Flattens any thrown value into a {@link WireError}. */
export function toWire(error: unknown): WireError {
  if (error instanceof Error) {
    const extra = error as { path?: unknown; module?: unknown }
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      ...(typeof extra.path === 'string' ? { path: extra.path } : {}),
      ...(typeof extra.module === 'string' ? { module: extra.module } : {})
    }
  }
  return { name: 'Error', message: `non-error thrown: ${String(error)}`, stack: undefined }
}

const REBUILT: Record<string, { prototype: object }> = {
  UncloneableError,
  LogicModuleError
}

/** Rebuilds an error that crossed: keepsake's own classes as themselves, others as an `Error` with the original name and stack. */
export function fromWire(wire: WireError): Error {
  const type = REBUILT[wire.name]
  const error = type ? (Object.create(type.prototype) as Error) : new Error(wire.message)
  Object.assign(error, { ...wire, stack: wire.stack ?? error.stack })
  if (type) Object.assign(error, { code: wire.name === 'UncloneableError' ? 'UNCLONEABLE' : 'LOGIC_MODULE' })
  if (!type && wire.name !== 'Error') Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true })
  return error
}

/** A state message as the host builds it, and as {@link expandCalled} gives it back. */
export type SnapshotMessage = HostMessage & { t: 'snapshot' }
type CalledMessage = HostMessage & { t: 'called' }

/**
 * `message` in its flat form, when it is a call's common end: the delivery's last state (`p`) with no
 * persisted form (only the context changed), at most one change, the set of a top-level key, one
 * answer, and nothing else (no delays, no event, no deferred reply). Undefined for any other.
 */
export function calledForm(message: SnapshotMessage): CalledMessage | undefined {
  const { context, answers } = message
  if (!message.p || message.snapshot || message.delays || message.event || message.deferred || answers?.length !== 1 || !context || context.length > 1) return undefined
  const [ref, answer] = answers[0] as readonly [number, unknown]
  if (context.length === 0) return { t: 'called', inc: message.inc, ref, answer }
  const change = context[0] as Change
  const key = change[1][0]
  if (change[0] !== 's' || change[1].length !== 1 || typeof key !== 'string') return undefined
  return { t: 'called', inc: message.inc, ref, answer, key, value: change[2] }
}

/** The snapshot message a {@link calledForm} stands for (the parent handles that one). */
export function expandCalled(message: CalledMessage): SnapshotMessage {
  const context: Change[] = message.key === undefined ? [] : [['s', [message.key], message.value]]
  return { t: 'snapshot', inc: message.inc, context, answers: [[message.ref, message.answer]], d: true, p: true }
}

const HOST_KINDS = new Set(['snapshot', 'called', 'answer', 'processed', 'crash', 'done', 'table'])

/**
 * Checks the shape of what a host sent before the parent acts on it (a host
 * runs user code and may be broken); returns a description of what is wrong,
 * or undefined when it is a well-formed {@link HostMessage}.
 */
export function checkHostMessage(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'a message that is not an object'
  const m = message as Record<string, unknown>
  if (typeof m.t !== 'string' || !HOST_KINDS.has(m.t)) return `a message of unknown kind ${JSON.stringify(m.t)}`
  if (m.t === 'table') {
    const ok = typeof m.name === 'string' && (m.op === 'set' || m.op === 'delete' || m.op === 'clear')
    return ok ? undefined : 'a malformed table write'
  }
  if (typeof m.inc !== 'number') return `a "${m.t}" message without an incarnation`
  switch (m.t) {
    case 'snapshot':
      if (m.snapshot === undefined ? m.context === undefined : typeof m.snapshot !== 'object' || m.snapshot === null) return 'a malformed snapshot'
      if (m.context !== undefined && !isChangeList(m.context)) return 'a snapshot with malformed context changes'
      if (m.answers !== undefined && !Array.isArray(m.answers)) return 'a snapshot with malformed answers'
      if (m.delays !== undefined && !Array.isArray(m.delays)) return 'a snapshot with malformed delays'
      if (m.event !== undefined && typeof (m.event as { type?: unknown } | null)?.type !== 'string') return 'a snapshot with a malformed event'
      if (m.d !== undefined && m.d !== true) return 'a snapshot with a malformed delivery flag'
      if (m.p !== undefined && (m.p !== true || m.d !== true)) return 'a snapshot with a malformed processed flag'
      return m.deferred === undefined || (m.p === true && typeof m.deferred === 'string') ? undefined : 'a malformed reply token'
    case 'called':
      if (typeof m.ref !== 'number') return 'a call\'s end without a call ref'
      return m.key === undefined || typeof m.key === 'string' ? undefined : 'a call\'s end with a malformed context key'
    case 'answer':
      return typeof m.ref === 'number' ? undefined : 'an answer without a call ref'
    case 'processed':
      return m.deferred === undefined || typeof m.deferred === 'string' ? undefined : 'a malformed reply token'
    case 'crash': {
      const e = m.error as Record<string, unknown> | null
      return typeof e === 'object' && e !== null && typeof e.message === 'string' && typeof e.name === 'string' ? undefined : 'a crash without an error'
    }
    default:
      return undefined
  }
}

const CHANGE_OPS = new Set(['s', 'd', 'l'])

/** Whether `value` has the shape of a list of {@link Change}s. */
function isChangeList(value: unknown): boolean {
  if (!Array.isArray(value)) return false
  for (const change of value) {
    if (!Array.isArray(change) || !CHANGE_OPS.has(change[0]) || !Array.isArray(change[1])) return false
    if (change[0] === 'l' && typeof change[2] !== 'number') return false
  }
  return true
}
