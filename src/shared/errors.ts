/**
 * Every error keepsake raises is one of these classes, so callers can branch on
 * `instanceof` (or on the stable `code`) instead of parsing messages. Each
 * message says what was wrong and what to do about it.
 */

/** Base class of every error keepsake throws or rejects with. */
export class KeepsakeError extends Error {
  /** A stable, machine-readable identifier of the error kind. */
  readonly code: string

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

  constructor(option: string, expected: string, got: unknown) {
    super('INVALID_OPTION', `Option "${option}" must be ${expected}; got ${describe(got)}.`)
    this.option = option
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
 * More than `maxRestarts` crashes happened within `maxSeconds`: the branch gave
 * up and stopped. `cause` holds the last crash's error.
 */
export class RestartIntensityExceeded extends KeepsakeError {
  readonly branchId: string
  readonly maxRestarts: number
  readonly maxSeconds: number

  constructor(branchId: string, maxRestarts: number, maxSeconds: number, cause: unknown) {
    super(
      'RESTART_INTENSITY_EXCEEDED',
      `Branch "${branchId}" crashed more than ${maxRestarts} times within ${maxSeconds} s and ` +
        `stopped (last crash: ${describeCause(cause)}). Fix the crash, or raise ` +
        `restart.maxRestarts / lower restart.maxSeconds.`,
      { cause }
    )
    this.branchId = branchId
    this.maxRestarts = maxRestarts
    this.maxSeconds = maxSeconds
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

function describeCause(cause: unknown): string {
  try {
    if (cause instanceof Error) return `${cause.name}: ${cause.message}`
    return describe(cause)
  } catch {
    return 'an unprintable error'
  }
}
