import { InvalidOptionError, RestartIntensityExceeded } from '../shared/errors'
import type { AnyBranch } from '../supervisor/Branch'
import { observe } from '../supervisor/observe'
import type { BranchSignal, SupervisorSignal } from '../supervisor/probe'
import type { Supervisor } from '../supervisor/Supervisor'
import { stopError } from '../supervisor/types'
import { describeReason, type ReasonRecord } from './reason'

/**
 * OTP's supervisor report, `{supervisor, context, reason, offender}`:
 * - `child_terminated`: a child died (for a branch, its worker crashed);
 * - `start_error`: restarting a child failed;
 * - `shutdown`: the supervisor (or branch) gave up, reason `reached_max_restart_intensity`;
 * - `shutdown_error`: a child did not stop within its shutdown time and was cut off.
 */
export interface SupervisorReport {
  /** The supervisor's id; for a worker's crash, the branch's (a branch supervises its worker). */
  readonly supervisor: string
  readonly context: 'child_terminated' | 'start_error' | 'shutdown' | 'shutdown_error'
  readonly reason: ReasonRecord | 'reached_max_restart_intensity' | 'killed'
  readonly offender: Offender
}

/** The child a report is about. */
export interface Offender {
  readonly id: string
  readonly type: 'worker' | 'supervisor'
  readonly restart?: string
  /** A worker's incarnation that died. */
  readonly incarnation?: number
  /** The message it was processing, if any (its type only: events can hold secrets). */
  readonly eventType?: string
}

/**
 * Where reports go: anything with an `error(report, message)` method, which
 * is the shape of pino's methods (merging object first) and works with
 * `console` too.
 */
export interface CrashLogger {
  /** Receives one report and a one-line summary of it. */
  error(report: SupervisorReport, message: string): unknown
}

/**
 * Sends a report in OTP's shape to `logger` for every crash, failed restart,
 * give-up and cut-off in the process, until the returned function is
 * called. Nothing is reported unless this is called.
 *
 * @example
 * const stop = reportCrashes(pino())   // or reportCrashes(console)
 */
export function reportCrashes(logger: CrashLogger): () => void {
  if (typeof (logger as { error?: unknown } | null)?.error !== 'function') {
    throw new InvalidOptionError('logger', 'an object with an error(report, message) method, such as a pino logger or console', logger)
  }
  const emit = (report: SupervisorReport): void => {
    logger.error(report, describe(report))
  }
  return observe({
    branchEvent: (branch, signal) => {
      const report = branchReport(branch, signal)
      if (report) emit(report)
    },
    supervisorEvent: (supervisor, signal) => {
      const report = supervisorReport(supervisor, signal)
      if (report) emit(report)
    }
  })
}

function branchReport(branch: AnyBranch, signal: BranchSignal): SupervisorReport | undefined {
  if (signal.event === 'crash') {
    const [{ incarnation, error, event }] = signal.args
    return {
      supervisor: branch.id,
      context: 'child_terminated',
      reason: describeReason(error),
      offender: { id: 'worker', type: 'worker', incarnation, ...(event ? { eventType: event.type } : {}) }
    }
  }
  if (signal.event === 'stop') {
    const [reason] = signal.args
    if (reason.kind !== 'failure' || !(reason.error instanceof RestartIntensityExceeded)) return undefined
    return { supervisor: branch.id, context: 'shutdown', reason: 'reached_max_restart_intensity', offender: { id: 'worker', type: 'worker' } }
  }
  return undefined
}

function supervisorReport(supervisor: Supervisor, signal: SupervisorSignal): SupervisorReport | undefined {
  switch (signal.event) {
    case 'childExit': {
      const [{ childId, reason }] = signal.args
      if (reason.kind !== 'failure') return undefined
      return { supervisor: supervisor.id, context: 'child_terminated', reason: describeReason(reason.error), offender: offender(supervisor, childId) }
    }
    case 'restartFailed': {
      const [{ childId, error }] = signal.args
      return { supervisor: supervisor.id, context: 'start_error', reason: describeReason(error.cause ?? error), offender: offender(supervisor, childId) }
    }
    case 'cutOff': {
      const [{ childId }] = signal.args
      return { supervisor: supervisor.id, context: 'shutdown_error', reason: 'killed', offender: offender(supervisor, childId) }
    }
    case 'shutdown': {
      const error = stopError(signal.args[0])
      if (!error) return undefined
      return {
        supervisor: supervisor.id,
        context: 'shutdown',
        reason: error instanceof RestartIntensityExceeded ? 'reached_max_restart_intensity' : describeReason(error),
        offender: { id: supervisor.id, type: 'supervisor' }
      }
    }
    default:
      return undefined
  }
}

function offender(supervisor: Supervisor, childId: string): Offender {
  const child = supervisor.whichChildren().find((c) => c.id === childId)
  return child ? { id: childId, type: child.type, restart: child.restart } : { id: childId, type: 'worker' }
}

/** One line, as OTP's report header reads: who, what, why. */
function describe(report: SupervisorReport): string {
  const why = typeof report.reason === 'string' ? report.reason : `${report.reason.name}: ${report.reason.message}`
  return `keepsake: supervisor "${report.supervisor}" ${report.context} (${report.offender.type} "${report.offender.id}"): ${why}`
}
