import { describeCause, KeepsakeError, WorkerCrashedError } from '../../shared/errors'

/**
 * A message took longer than the branch's `maxProcessingMs` (an endless loop,
 * a stuck synchronous driver call): its isolated worker was terminated and
 * restarted from the last good state. The call whose message hung rejects with
 * this error; it is a {@link WorkerCrashedError}, so code that handles crashes
 * handles hangs too.
 */
export class WorkerHungError extends WorkerCrashedError {
  /** The limit that was exceeded, in ms. */
  readonly maxProcessingMs: number

  constructor(branchId: string, eventType: string, maxProcessingMs: number) {
    super(branchId, eventType, new Error(`still processing "${eventType}" after ${maxProcessingMs} ms`))
    ;(this as { code: string }).code = 'WORKER_HUNG'
    this.message =
      `The worker of branch "${branchId}" was still processing "${eventType}" after ${maxProcessingMs} ms ` +
      `(maxProcessingMs), so it was terminated and restarted from its last good state; the message was ` +
      `not applied. Make the work asynchronous, or raise maxProcessingMs if it is just slow.`
    this.maxProcessingMs = maxProcessingMs
  }
}

/**
 * A value that must cross to or from an isolated worker can't be copied by
 * structured clone (a function, a symbol, a class instance...). `path` names
 * the first such field, e.g. `event.callback` or `state.handle`.
 */
export class UncloneableError extends KeepsakeError {
  /** Where the value is, from the root of what was being sent: `event.x.y`, `state.items[2]`, `reply`, `table.cache`. */
  readonly path: string

  constructor(path: string, what: string) {
    super(
      'UNCLONEABLE',
      `${path} is ${what}, which can't cross to or from an isolated worker (values cross by structured ` +
        `clone). Send plain data (objects, arrays, strings, numbers, Maps, Sets, Dates) and keep ` +
        `functions and handles inside the worker.`
    )
    this.path = path
  }
}

/**
 * The thread or process running a branch's isolated worker ended on its own:
 * it ran out of memory, aborted (a native crash), exited, or broke the wire
 * protocol or its channel (bytes that are no message, killed then). The branch
 * treats it as a crash of its worker.
 */
export class WorkerExitedError extends KeepsakeError {
  readonly branchId: string
  /** How it ended: `'aborted (SIGABRT)'`, `'ran out of memory (its resourceLimits)'`, `'exited with code 1'`, `'broke its channel to the parent: ...'`... */
  readonly how: string

  constructor(branchId: string, how: string, cause?: unknown) {
    super(
      'WORKER_EXITED',
      `The isolated worker of branch "${branchId}" ${how}${cause === undefined ? '' : ` (${describeCause(cause)})`}; ` +
        `it is restarted from its last good state.`,
      cause === undefined ? undefined : { cause }
    )
    this.branchId = branchId
    this.how = how
  }
}

/** An isolated worker's logic module could not be loaded, or does not export xstate logic under that name. */
export class LogicModuleError extends KeepsakeError {
  readonly module: string

  constructor(module: string, exportName: string, why: string) {
    super(
      'LOGIC_MODULE',
      `Could not use export "${exportName}" of logic module ${module}: ${why}. Name a module that ` +
        `exports an xstate machine or logic, as { module, export }.`
    )
    this.module = module
  }
}
