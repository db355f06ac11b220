/**
 * Every error keepsake raises is one of these classes, so callers can branch on
 * `instanceof` (or on the stable `code`) instead of parsing messages. Each
 * message says what was wrong and what to do about it.
 */

import { isBranded } from './processWide'

/** Marks keepsake's error classes, in every copy of keepsake loaded in the process. */
const ERROR_BRAND = Symbol.for('keepsake.error')

/**
 * Base class of every error keepsake throws or rejects with. `instanceof`
 * holds across copies of keepsake in one process (the ES module build and the
 * CommonJS one): an error from either is an instance of the same-named class
 * of both.
 */
export class KeepsakeError extends Error {
  /** A stable, machine-readable identifier of the error kind. */
  readonly code: string

  static {
    Object.defineProperty(this.prototype, ERROR_BRAND, { value: true })
  }

  /** `instanceof` for errors from this copy of keepsake or another one loaded in the process. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value, ERROR_BRAND)
  }

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** `logic` is missing or is not xstate actor logic. */
export class InvalidLogicError extends KeepsakeError {
  constructor(got: unknown) {
    super(
      'INVALID_LOGIC',
      `Expected xstate actor logic (a machine from setup(...).createMachine(...) or logic from ` +
        `fromTransition/fromPromise/...), got ${describe(got)}. Pass it as startBranch({ logic }).`
    )
  }
}

/** An event or message is not an object with a string `type`. */
export class InvalidEventError extends KeepsakeError {
  constructor(got: unknown) {
    super(
      'INVALID_EVENT',
      `Expected an event object with a string "type" (for example { type: 'inc' }), got ` +
        `${describe(got)}.`
    )
  }
}

/** An option has the wrong type or an out-of-range value. */
export class InvalidOptionError extends KeepsakeError {
  /** The option's name, e.g. `timeout` or `restart.maxRestarts`. */
  readonly option: string

  /** `cause`: what a user function given as the option threw, when that is what was wrong. */
  constructor(option: string, expected: string, got: unknown, options?: { cause?: unknown }) {
    super('INVALID_OPTION', `Option "${option}" must be ${expected}; got ${describe(got)}.`, options)
    this.option = option
  }
}

/**
 * An options object has a key that is none of its options: a misspelling
 * (`idleTimout`), or a name an older version used (`restart` for a branch's
 * intensity). `suggestion` is the closest valid option, if one is close.
 */
export class UnknownOptionError extends KeepsakeError {
  /** The unknown key, as given. */
  readonly option: string
  /** The valid option it most likely meant (for a renamed one: its new name). */
  readonly suggestion: string | undefined

  constructor(what: string, option: string, valid: readonly string[], suggestion: string | undefined, renamed: boolean) {
    super(
      'UNKNOWN_OPTION',
      renamed
        ? `Option "${option}" of ${what} was renamed to "${suggestion}": pass it as ${suggestion}.`
        : `Unknown option "${option}" in ${what}${suggestion === undefined ? '' : `: did you mean "${suggestion}"?`} ` +
            `Valid options: ${valid.join(', ')}.`
    )
    this.option = option
    this.suggestion = suggestion
  }
}

/** A branch was started with a name another live branch holds. */
export class NameTakenError extends KeepsakeError {
  readonly branchName: string

  constructor(name: string) {
    super(
      'NAME_TAKEN',
      `A branch named "${name}" is already running. Stop it first (await branch.stop()) or ` +
        `choose another name.`
    )
    this.branchName = name
  }
}

/** A name was given where a branch was expected, and no live branch holds it. */
export class UnknownNameError extends KeepsakeError {
  readonly branchName: string

  constructor(name: string) {
    super(
      'UNKNOWN_NAME',
      `No running branch is named "${name}". Start one with startBranch({ name: "${name}", ... }) ` +
        `or check the spelling.`
    )
    this.branchName = name
  }
}

/** A message was sent to a branch that has stopped (or is stopping). */
export class BranchStoppedError extends KeepsakeError {
  readonly branchId: string

  constructor(branchId: string, why: string, options?: { cause?: unknown }) {
    super(
      'BRANCH_STOPPED',
      `Branch "${branchId}" is stopped (${why}); its messages are no longer delivered. ` +
        `Start a new branch to go on.`,
      options
    )
    this.branchId = branchId
  }
}

/** A call was not answered within its timeout. */
export class CallTimeoutError extends KeepsakeError {
  readonly branchId: string
  readonly timeout: number

  constructor(branchId: string, eventType: string, timeout: number) {
    super(
      'CALL_TIMEOUT',
      `Call "${eventType}" to branch "${branchId}" got no reply within ${timeout} ms. The message ` +
        `is still delivered; its late reply will be dropped. Raise { timeout } if the work is slow.`
    )
    this.branchId = branchId
    this.timeout = timeout
  }
}

/**
 * The worker crashed while this call's message was being processed, or while
 * the call waited for a deferred reply. `cause` holds the original error.
 */
export class WorkerCrashedError extends KeepsakeError {
  readonly branchId: string

  constructor(branchId: string, eventType: string, cause: unknown) {
    super(
      'WORKER_CRASHED',
      `The worker of branch "${branchId}" crashed while handling "${eventType}" ` +
        `(${describeCause(cause)}). The message was not applied; the worker restarted from its ` +
        `last good state.`,
      { cause }
    )
    this.branchId = branchId
  }
}

/**
 * More than `maxRestarts` restarts were needed within `maxSeconds`: the branch
 * or supervisor `id` gave up and stopped. `cause` holds the last failure.
 */
export class RestartIntensityExceeded extends KeepsakeError {
  /** The branch or supervisor that gave up. */
  readonly id: string
  readonly maxRestarts: number
  readonly maxSeconds: number

  constructor(id: string, maxRestarts: number, maxSeconds: number, cause: unknown) {
    super(
      'RESTART_INTENSITY_EXCEEDED',
      `"${id}" needed more than ${maxRestarts} restarts within ${maxSeconds} s and gave up ` +
        `(last failure: ${describeCause(cause)}). Fix the failure, or raise maxRestarts / lower ` +
        `maxSeconds.`,
      { cause }
    )
    this.id = id
    this.maxRestarts = maxRestarts
    this.maxSeconds = maxSeconds
  }
}

/**
 * The state a message left can't be kept: reading it threw (a getter, or a
 * proxy whose trap throws). The branch treats it as a crash of that message:
 * nothing of it is kept, and the worker restarts from the last good state.
 * `cause` is what reading it threw.
 */
export class UnkeepableStateError extends KeepsakeError {
  constructor(cause: unknown) {
    super(
      'UNKEEPABLE_STATE',
      `The state can't be kept: reading it threw (${describeCause(cause)}), as a getter or a proxy ` +
        `trap in it does. Keep plain data in the state (objects, arrays, Maps, Sets, values), not ` +
        `getters or proxies that throw.`,
      { cause }
    )
  }
}

/** The worker could not be started the first time (its initial state threw). */
export class BranchStartError extends KeepsakeError {
  readonly branchId: string

  constructor(branchId: string, cause: unknown) {
    super(
      'BRANCH_START_FAILED',
      `Branch "${branchId}" failed to start its worker (${describeCause(cause)}). Check the ` +
        `logic's initial context and input.`,
      { cause }
    )
    this.branchId = branchId
  }
}

/** `table()` was given something that does not belong to a running branch's worker. */
export class NotInBranchError extends KeepsakeError {
  constructor(what: string) {
    super(
      'NOT_IN_BRANCH',
      `${what} can only be used from inside a branch's worker: pass the actor's self ` +
        `(e.g. ({ self }) => table(self, 'cache')).`
    )
  }
}

/** A supervisor has no child with this id (or does not hold this branch). */
export class UnknownChildError extends KeepsakeError {
  readonly supervisorId: string
  readonly childId: string

  constructor(supervisorId: string, childId: string) {
    super(
      'UNKNOWN_CHILD',
      `Supervisor "${supervisorId}" has no child "${childId}". List its children with ` +
        `whichChildren().`
    )
    this.supervisorId = supervisorId
    this.childId = childId
  }
}

/** A child spec's id is already used in this supervisor (OTP's `already_present`). */
export class ChildAlreadyExistsError extends KeepsakeError {
  readonly childId: string

  constructor(supervisorId: string, childId: string) {
    super(
      'CHILD_ALREADY_EXISTS',
      `Supervisor "${supervisorId}" already has a child "${childId}". Give the new child another ` +
        `id, or deleteChild("${childId}") first.`
    )
    this.childId = childId
  }
}

/** The operation needs the child stopped, and it is running. */
export class ChildRunningError extends KeepsakeError {
  readonly childId: string

  constructor(supervisorId: string, childId: string, operation: string) {
    super(
      'CHILD_RUNNING',
      `Cannot ${operation} child "${childId}" of supervisor "${supervisorId}" while it is running. ` +
        `terminateChild("${childId}") first.`
    )
    this.childId = childId
  }
}

/**
 * The operation needs the child stopped, and its supervisor is retrying its
 * start (OTP's `{error, restarting}`): its last start threw.
 */
export class ChildRestartingError extends KeepsakeError {
  readonly childId: string
  /** Always true: the child is between a failed start and the next try. */
  readonly restarting = true

  constructor(supervisorId: string, childId: string, operation: string) {
    super(
      'CHILD_RESTARTING',
      `Cannot ${operation} child "${childId}" of supervisor "${supervisorId}" while it is restarting ` +
        `(its supervisor is retrying its start). terminateChild("${childId}") first.`
    )
    this.childId = childId
  }
}

/** A child's start function threw or returned something that is not a branch or supervisor. */
export class ChildStartError extends KeepsakeError {
  readonly childId: string

  constructor(supervisorId: string, childId: string, cause: unknown) {
    super(
      'CHILD_START_FAILED',
      `Supervisor "${supervisorId}" could not start child "${childId}" (${describeCause(cause)}).`,
      { cause }
    )
    this.childId = childId
  }
}

/** A dynamic supervisor already has `maxChildren` children. */
export class SupervisorFullError extends KeepsakeError {
  readonly supervisorId: string

  constructor(supervisorId: string, maxChildren: number) {
    super(
      'SUPERVISOR_FULL',
      `Supervisor "${supervisorId}" already has its maximum of ${maxChildren} children. Stop one, ` +
        `or raise maxChildren.`
    )
    this.supervisorId = supervisorId
  }
}

/** The supervisor is stopping or stopped and takes no more requests. */
export class SupervisorStoppedError extends KeepsakeError {
  readonly supervisorId: string

  constructor(supervisorId: string) {
    super(
      'SUPERVISOR_STOPPED',
      `Supervisor "${supervisorId}" is stopping or stopped. Start a new one to go on.`
    )
    this.supervisorId = supervisorId
  }
}

/**
 * A durable branch could not be brought back from its store: a stored record
 * is corrupt (`cause` is the store's `CorruptRecordError`), the journal has a
 * gap, the snapshot is not one the logic can restore, or an event could not
 * be applied. `seq` names the record at fault.
 */
export class RecoveryError extends KeepsakeError {
  readonly branchId: string
  /** The sequence number of the record at fault (an event's, or the snapshot's), if one is. */
  readonly seq: number | undefined

  constructor(branchId: string, seq: number | undefined, why: string, cause?: unknown) {
    super(
      'RECOVERY_FAILED',
      `Could not recover "${branchId}"${seq === undefined ? '' : ` at sequence ${seq}`}: ${why}` +
        `${cause === undefined ? '' : ` (${describeCause(cause)})`}. Nothing was changed in the store.`,
      { cause }
    )
    this.branchId = branchId
    this.seq = seq
  }
}

/**
 * A durable branch's stored snapshot was written by another version of its
 * logic and could not be brought to this one: the version is newer, a
 * migration step is missing or threw, or the migrated state failed the
 * logic's checks or `durable.validate`. Nothing was written; no worker ran.
 */
export class SnapshotMigrationError extends RecoveryError {
  /** The version the stored snapshot was written by. */
  readonly version: number
  /** The version of the logic that tried to start from it. */
  readonly targetVersion: number
  /** What went wrong, without the id and versions. */
  readonly reason: string

  constructor(branchId: string, seq: number, version: number, targetVersion: number, reason: string, cause?: unknown) {
    super(branchId, seq, `its snapshot has version ${version} and this logic is version ${targetVersion}: ${reason}`, cause)
    this.version = version
    this.targetVersion = targetVersion
    this.reason = reason
  }
}

/**
 * Replaying a durable branch's journal gave another state than the live
 * worker had: the logic is not deterministic (it read the clock, a random
 * number or something outside its events), so recovery would not bring back
 * what callers were told.
 */
export class ReplayDivergenceError extends KeepsakeError {
  readonly branchId: string
  readonly seq: number

  constructor(branchId: string, seq: number) {
    super(
      'REPLAY_DIVERGENCE',
      `Replaying the journal of "${branchId}" up to event ${seq} gave another state than the live ` +
        `worker's. Keep the logic deterministic: pass times and random values in events, not from ` +
        `inside transitions.`
    )
    this.branchId = branchId
    this.seq = seq
  }
}

/**
 * This call joined an identical call in flight (`dedupe`, or the branch's
 * `grouper`), and that call's execution crashed the worker (hb_persistent's
 * `leader_died`). `cause` is the leader's `WorkerCrashedError`.
 */
export class LeaderDiedError extends KeepsakeError {
  readonly branchId: string

  constructor(branchId: string, eventType: string, cause: unknown) {
    super(
      'LEADER_DIED',
      `Call "${eventType}" to branch "${branchId}" waited on an identical call in flight, whose ` +
        `execution crashed the worker (${describeCause(cause)}). Nothing of it was applied; the ` +
        `worker restarted from its last good state. Retry the call if the work must still be done.`,
      { cause }
    )
    this.branchId = branchId
  }
}

/** `seed` was asked for a key of a pool that already has a branch (or one starting). */
export class KeyTakenError extends KeepsakeError {
  readonly poolId: string
  readonly key: string

  constructor(poolId: string, key: string) {
    super(
      'KEY_TAKEN',
      `Key "${key}" of pool "${poolId}" already has a branch, so it can't be seeded. Send it ` +
        `messages instead, or stop its branch (pool.branch(key)?.stop()) and seed it again.`
    )
    this.poolId = poolId
    this.key = key
  }
}

/**
 * A worker called a branch while processing a message, and that call would
 * come back to a branch still working on the message that led to it: its own
 * branch, directly or through a chain of calls (hb_persistent's
 * `infinite_recursion`). `chain` names the branches, the caller first and
 * the one re-entered last.
 */
export class CallRecursionError extends KeepsakeError {
  readonly chain: readonly string[]

  constructor(chain: readonly string[], eventType: string) {
    super(
      'CALL_RECURSION',
      `Call "${eventType}" would re-enter branch "${chain[chain.length - 1]}" through the chain ` +
        `${chain.join(' -> ')} while it is still processing the message that led to it; such a ` +
        `call waits on itself or loops. Cast instead, or pass { reentrant: true } if the re-entry is meant.`
    )
    this.chain = chain
  }
}

/** A short, safe description of any value for error messages (never throws). */
export function describe(value: unknown): string {
  try {
    if (value === null) return 'null'
    if (value === undefined) return 'undefined'
    if (typeof value === 'string') {
      return value.length > 60 ? `a string of length ${value.length}` : JSON.stringify(value)
    }
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      return `${typeof value} ${String(value)}`
    }
    if (typeof value === 'function') return 'a function'
    if (typeof value === 'symbol') return 'a symbol'
    if (Array.isArray(value)) return `an array of length ${value.length}`
    return 'an object'
  } catch {
    return 'an unprintable value'
  }
}

/** A short, safe description of an error's cause (never throws). */
export function describeCause(cause: unknown): string {
  try {
    if (cause instanceof Error) return `${cause.name}: ${cause.message}`
    return describe(cause)
  } catch {
    return 'an unprintable error'
  }
}
