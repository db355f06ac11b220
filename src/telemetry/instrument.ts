import type * as Api from '@opentelemetry/api'
import type { Attributes, BatchObservableResult, MeterProvider, Span, TracerProvider } from '@opentelemetry/api'
import { describeReason, reasonLabel } from '../reports/reason'
import { WorkerCrashedError } from '../shared/errors'
import type { AnyBranch } from '../supervisor/Branch'
import type { Call } from '../supervisor/Call'
import { allLiveBranches, observe } from '../supervisor/observe'
import type { BranchSignal, SupervisorSignal } from '../supervisor/probe'
import type { Supervisor } from '../supervisor/Supervisor'
import { requirePeers } from '../stores/requests'

/** Options of {@link instrument}. */
export interface TelemetryOptions {
  /** Where spans go (default: the global one, `trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider
  /** Where metrics go (default: the global one, `metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider
}

/** The instrumentation scope name of keepsake's spans and metrics. */
export const SCOPE = 'keepsake'

/** A call on its way: its span, and when it was queued and delivered (performance.now()). */
interface Flight {
  readonly span: Span
  readonly queuedAt: number
  deliveredAt: number | undefined
}

/**
 * Traces and measures every branch and supervisor of the process through
 * OpenTelemetry, until the returned function is called:
 *
 * - a span `keepsake.call` per call, from when it is queued to when it
 *   settles, a child of the caller's active span: attributes
 *   `keepsake.branch.id`, `keepsake.event.type`, `keepsake.call.outcome`
 *   (`ok` / `error`), `keepsake.call.error` (the error's code),
 *   `keepsake.call.queue_ms` (waiting in the mailbox) and
 *   `keepsake.call.processing_ms` (from delivery to the answer);
 * - span events `keepsake.crash` (on the spans of the calls it failed, or else
 *   on the active span or a span of its own), `keepsake.restart`,
 *   `keepsake.transfer`, `keepsake.passivate` and `keepsake.activate` (on the
 *   active span if there is one, else on a span of their own);
 * - metrics: `keepsake.restarts` (`keepsake.level`: `worker` for a branch
 *   restarting its worker, `child` for a supervisor restarting a child),
 *   `keepsake.crashes` (`keepsake.crash.reason`: the error's code or class),
 *   `keepsake.call.duration` (ms histogram, by event type and outcome),
 *   `keepsake.transfers`, and the gauges `keepsake.mailbox.length` (messages
 *   queued in all live branches), `keepsake.mailbox.max` (the longest) and
 *   `keepsake.branches.live` (by `keepsake.branch.status`).
 *
 * Throws `MissingDriverError` when `@opentelemetry/api` is not installed.
 * Without a registered SDK the API's no-op providers make this nearly free;
 * not calling it at all costs keepsake one branch per hook.
 *
 * @example
 * import { instrument } from 'keepsake/telemetry'
 * const stop = instrument()        // after the OpenTelemetry SDK is registered
 */
export function instrument(options: TelemetryOptions = {}): () => void {
  // Loaded here, not imported: without it, this throws MissingDriverError naming it.
  const { context, metrics, SpanStatusCode, trace } = requirePeers<{ '@opentelemetry/api': typeof Api }>('keepsake/telemetry', ['@opentelemetry/api'])['@opentelemetry/api']
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE)
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE)
  const restarts = meter.createCounter('keepsake.restarts', { description: 'Workers restarted by their branch, and children restarted by their supervisor' })
  const crashes = meter.createCounter('keepsake.crashes', { description: 'Worker crashes, by reason' })
  const transfers = meter.createCounter('keepsake.transfers', { description: 'Branches moved between supervisors' })
  const duration = meter.createHistogram('keepsake.call.duration', { description: 'Call latency, queued to settled', unit: 'ms' })
  const mailboxLength = meter.createObservableGauge('keepsake.mailbox.length', { description: 'Messages queued in all live branches' })
  const mailboxMax = meter.createObservableGauge('keepsake.mailbox.max', { description: 'The longest mailbox of a live branch' })
  const liveBranches = meter.createObservableGauge('keepsake.branches.live', { description: 'Live branches, by status' })
  const observeGauges = (result: BatchObservableResult): void => {
    let total = 0
    let longest = 0
    const byStatus = new Map<string, number>()
    for (const branch of allLiveBranches()) {
      const queued = branch._queued
      total += queued
      if (queued > longest) longest = queued
      byStatus.set(branch.status, (byStatus.get(branch.status) ?? 0) + 1)
    }
    result.observe(mailboxLength, total)
    result.observe(mailboxMax, longest)
    for (const [status, count] of byStatus) result.observe(liveBranches, count, { 'keepsake.branch.status': status })
  }
  meter.addBatchObservableCallback(observeGauges, [mailboxLength, mailboxMax, liveBranches])

  const flights = new WeakMap<Call, Flight>()
  /** The branch whose crash was just put on the spans of the calls it failed (the crash signal follows at once). */
  let crashNoted: AnyBranch | undefined

  const unobserve = observe({
    enqueued: (branch, eventType, call) => {
      if (!call) return
      const span = tracer.startSpan('keepsake.call', { attributes: { 'keepsake.branch.id': branch.id, 'keepsake.event.type': eventType } })
      flights.set(call, { span, queuedAt: performance.now(), deliveredAt: undefined })
    },
    delivered: (_branch, _eventType, call) => {
      const flight = call && flights.get(call)
      if (flight) flight.deliveredAt = performance.now()
    },
    settled: (branch, call) => {
      const flight = flights.get(call)
      if (!flight) return
      flights.delete(call)
      const now = performance.now()
      const { span, queuedAt, deliveredAt } = flight
      const outcome = call.failed ? 'error' : 'ok'
      span.setAttribute('keepsake.call.outcome', outcome)
      span.setAttribute('keepsake.call.queue_ms', (deliveredAt ?? now) - queuedAt)
      if (deliveredAt !== undefined) span.setAttribute('keepsake.call.processing_ms', now - deliveredAt)
      if (call.failed) {
        const error = call.outcome
        span.setAttribute('keepsake.call.error', reasonLabel(error))
        if (error instanceof WorkerCrashedError) {
          span.addEvent('keepsake.crash', crashAttributes(error.cause))
          crashNoted = branch
        }
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
      }
      span.end()
      duration.record(now - queuedAt, { 'keepsake.event.type': call.eventType, 'keepsake.call.outcome': outcome })
    },
    branchEvent: (branch, signal) => onBranchEvent(branch, signal),
    supervisorEvent: (supervisor, signal) => onSupervisorEvent(supervisor, signal),
    transferred: (branch, from, to) => {
      transfers.add(1)
      lifecycle('keepsake.transfer', branch, { 'keepsake.transfer.from': from.id, 'keepsake.transfer.to': to.id })
    }
  })

  function onBranchEvent(branch: AnyBranch, signal: BranchSignal): void {
    switch (signal.event) {
      case 'crash': {
        const [{ error, incarnation }] = signal.args
        crashes.add(1, { 'keepsake.crash.reason': reasonLabel(error) })
        if (crashNoted === branch) crashNoted = undefined
        else lifecycle('keepsake.crash', branch, { ...crashAttributes(error), 'keepsake.incarnation': incarnation })
        return
      }
      case 'restart': {
        const [{ incarnation, restartsInWindow }] = signal.args
        restarts.add(1, { 'keepsake.level': 'worker' })
        lifecycle('keepsake.restart', branch, { 'keepsake.incarnation': incarnation, 'keepsake.restarts_in_window': restartsInWindow })
        return
      }
      case 'passivate':
      case 'activate':
        lifecycle(`keepsake.${signal.event}`, branch, { 'keepsake.incarnation': signal.args[0].incarnation })
        return
      default:
    }
  }

  function onSupervisorEvent(supervisor: Supervisor, signal: SupervisorSignal): void {
    if (signal.event !== 'restart') return
    restarts.add(1, { 'keepsake.level': 'child', 'keepsake.supervisor.id': supervisor.id })
  }

  /** A span event on the active span, or on a span of its own when there is none. */
  function lifecycle(name: string, branch: AnyBranch, attributes: Attributes): void {
    const all = { 'keepsake.branch.id': branch.id, ...attributes }
    const active = trace.getSpan(context.active())
    if (active) return void active.addEvent(name, all)
    const span = tracer.startSpan(name, { attributes: { 'keepsake.branch.id': branch.id } })
    span.addEvent(name, all)
    span.end()
  }

  return () => {
    unobserve()
    meter.removeBatchObservableCallback(observeGauges, [mailboxLength, mailboxMax, liveBranches])
  }
}

/** A crash as span-event attributes: OpenTelemetry's exception.* plus keepsake's reason label. */
function crashAttributes(error: unknown): Attributes {
  const reason = describeReason(error)
  return {
    'exception.type': reason.name,
    'exception.message': reason.message,
    ...(reason.stack ? { 'exception.stacktrace': reason.stack } : {}),
    'keepsake.crash.reason': reasonLabel(error)
  }
}
