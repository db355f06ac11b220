import type { EventObject } from 'xstate'
import type { Clock } from '../shared/clock'
import { sha256 } from '../shared/sha256'
import { CallTimeoutError, describeCause, InvalidOptionError, LeaderDiedError, WorkerCrashedError } from '../shared/errors'
import { Call, type CallOwner } from './Call'

/**
 * Decides what "identical" means for deduplicated calls: calls to one branch
 * with the same key share one execution. `undefined` means "not deduplicated".
 */
export type Grouper = (event: EventObject) => string | undefined

/**
 * The group key of a call, or undefined when it is not deduplicated: the
 * branch's `grouper` decides if it has one (unless the call says
 * `dedupe: false`); else `dedupe: true` groups by {@link eventDigest}.
 */
export function groupKeyOf(event: EventObject, dedupe: unknown, grouper: Grouper | undefined): string | undefined {
  if (dedupe !== undefined && typeof dedupe !== 'boolean') throw new InvalidOptionError('dedupe', 'a boolean', dedupe)
  if (dedupe === false) return undefined
  if (grouper) {
    let key: unknown
    try {
      key = grouper(event)
    } catch (error) {
      throw new InvalidOptionError('grouper', `a function that returns a key without throwing (it threw ${describeCause(error)})`, event, { cause: error })
    }
    if (key === undefined) return undefined
    if (typeof key !== 'string') throw new InvalidOptionError('grouper(event)', 'a string or undefined', key)
    // A branch's keys all come from its grouper, or all from digests: the two never meet in one map.
    return key
  }
  return dedupe ? eventDigest(event) : undefined
}

/**
 * A collision-resistant key for an event: the SHA-256 of a canonical
 * serialization (object keys sorted, every value tagged with its type), so
 * two events share a key only if they hold the same data, whatever the order
 * their keys were written in. hb_persistent groups by `phash2`, a 27-bit
 * hash, and warns that two different requests may then share an answer.
 */
export function eventDigest(event: EventObject): string {
  return sha256(canonical(event))
}

const UNSERIALIZABLE = 'plain data (objects, arrays, strings, numbers, booleans, null) to be deduplicated by its content; give the branch a grouper for other events'

/** Text the walk writes as it is, and the object whose end it marks, if any. */
interface Text {
  readonly text: string
  readonly closes?: object
}

/**
 * The canonical form of `root`. The walk keeps its own stack (of values to
 * write and texts between them), so no nesting depth exhausts the call stack.
 * An object met again inside itself is a cycle; met again elsewhere, it is
 * written again. Throws `InvalidOptionError` for what it can't write, and for
 * a value whose reading throws (a getter, a proxy trap).
 */
function canonical(root: unknown): string {
  const ancestors = new Set<object>()
  const stack: (Text | { readonly value: unknown })[] = [{ value: root }]
  let out = ''
  try {
    while (stack.length > 0) {
      const step = stack.pop() as Text | { readonly value: unknown }
      if ('text' in step) {
        out += step.text
        if (step.closes) ancestors.delete(step.closes)
      } else out += open(step.value, ancestors, stack)
    }
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error
    throw new InvalidOptionError('dedupe', `${UNSERIALIZABLE} (reading it threw ${describeCause(error)})`, root, { cause: error })
  }
  return out
}

/** Writes a scalar, or the start of an object or array, pushing what comes inside it (last first) onto `stack`. */
function open(value: unknown, ancestors: Set<object>, stack: (Text | { readonly value: unknown })[]): string {
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`
    case 'number':
      return Object.is(value, -0) ? 'n-0' : `n${String(value)}`
    case 'boolean':
      return value ? 'T' : 'F'
    case 'undefined':
      return 'U'
    case 'bigint':
      return `i${String(value)}`
    case 'object':
      break
    default:
      throw new InvalidOptionError('dedupe', UNSERIALIZABLE, value)
  }
  if (value === null) return 'N'
  if (ancestors.has(value)) throw new InvalidOptionError('dedupe', UNSERIALIZABLE + ' (this one is circular)', value)
  if (Array.isArray(value)) {
    ancestors.add(value)
    stack.push({ text: ']', closes: value })
    for (let i = value.length - 1; i >= 0; i--) {
      stack.push({ value: value[i] as unknown })
      if (i > 0) stack.push({ text: ',' })
    }
    return '['
  }
  if (value instanceof Date) return `d${value.getTime()}`
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw new InvalidOptionError('dedupe', UNSERIALIZABLE, value)
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  ancestors.add(value)
  stack.push({ text: '}', closes: value })
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string
    stack.push({ value: record[key] })
    stack.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` })
  }
  return '{'
}

/** One execution and the callers waiting on it. */
interface Group {
  readonly key: string
  /** The first caller: its own error is the execution's `WorkerCrashedError`. */
  leader: Call | undefined
  readonly members: Set<Call>
  /** The call actually queued to the worker; it has no timeout of its own. */
  execution: Call | undefined
}

/**
 * Single flight for one branch's calls (hb_persistent's groups, done without
 * its races): while a call with a key is in flight, calls with the same key
 * queue no new work; they wait for that execution's outcome.
 *
 * - Membership is decided synchronously, so two racing callers never both
 *   lead: the first one to find no group opens it.
 * - The group follows the execution, not its first caller: each caller has
 *   its own timeout, and a caller that times out leaves the group without
 *   ending it. When the last caller left, the execution is abandoned (its
 *   late answer dropped, as a timed-out call's is).
 * - When the execution settles, the group closes at once (a caller arriving
 *   after that starts a new execution), then every member gets the outcome.
 *   If the execution crashed the worker, its first caller gets
 *   `WorkerCrashedError` and every other member `LeaderDiedError`.
 */
export class CallGroups {
  readonly #groups = new Map<string, Group>()
  readonly #branchId: string
  readonly #owner: CallOwner

  /** `owner` is the branch's own call owner, which the executions report to. */
  constructor(branchId: string, owner: CallOwner) {
    this.#branchId = branchId
    this.#owner = owner
  }

  /**
   * A caller's promise for the call `event` keyed `key`: it joins the group in
   * flight, or opens one and `enqueue`s its execution.
   */
  request(key: string, eventType: string, timeout: number, clock: Clock, enqueue: (execution: Call) => void): Promise<unknown> {
    const existing = this.#groups.get(key)
    const group: Group = existing ?? { key, leader: undefined, members: new Set(), execution: undefined }
    const member = new Call(this.#memberOwner(group), this.#branchId, eventType)
    group.members.add(member)
    member.arm(timeout, clock)
    if (!existing) {
      group.leader = member
      this.#groups.set(key, group)
      const execution = new Call(this.#executionOwner(group), this.#branchId, eventType)
      group.execution = execution
      enqueue(execution) // may settle at once, closing the group
    }
    return member.promise()
  }

  #memberOwner(group: Group): CallOwner {
    return {
      answered: () => {},
      deferred: () => {},
      settled: (member) => {
        group.members.delete(member)
        // The last member leaving: every caller gave up waiting (abandon the
        // execution, as a timed-out call is), or the execution settled and this
        // was the last one it told (it is settled already, so the rejection is a no-op).
        if (group.members.size > 0) return
        this.#groups.delete(group.key)
        group.execution?.reject(new CallTimeoutError(this.#branchId, member.eventType, 0))
      }
    }
  }

  #executionOwner(group: Group): CallOwner {
    const owner = this.#owner
    return {
      answered: (call, value) => owner.answered(call, value),
      deferred: (call) => owner.deferred(call),
      settled: (execution) => {
        owner.settled(execution)
        // Closed before the members hear, so a caller they wake starts a new execution.
        // (An abandoned execution's members are all gone: the loop below has no one to tell.)
        this.#groups.delete(group.key)
        const outcome = execution.outcome
        for (const member of [...group.members]) {
          if (!execution.failed) member.resolve(outcome)
          else if (outcome instanceof WorkerCrashedError && member !== group.leader) {
            member.reject(new LeaderDiedError(this.#branchId, member.eventType, outcome))
          } else member.reject(outcome)
        }
      }
    }
  }
}
