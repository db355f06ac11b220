import { processWide } from '../shared/processWide'
import type { AnyBranch } from './Branch'
import type { Call } from './Call'
import type { Supervisor, SupervisorEvents } from './Supervisor'
import type { BranchEvents } from './types'
import { warn } from '../shared/platform'

/** One event a branch emitted, as observers get it (narrow on `event`). */
export type BranchSignal = {
  [K in keyof BranchEvents<unknown>]: { readonly event: K; readonly args: Parameters<BranchEvents<unknown>[K]> }
}[keyof BranchEvents<unknown>]

/** One event a supervisor emitted, as observers get it (narrow on `event`). */
export type SupervisorSignal = {
  [K in keyof SupervisorEvents]: { readonly event: K; readonly args: Parameters<SupervisorEvents[K]> }
}[keyof SupervisorEvents]

/**
 * Sees what every branch and supervisor of the process does, for telemetry,
 * crash reports and the inspector. Every method is optional and is called
 * synchronously, on the hot path: keep it cheap. What it throws is reported
 * as a process warning and goes no further.
 */
export interface Observer {
  /** A message was queued on `branch`; `call` is set for calls (`undefined` for casts and sends). */
  enqueued?(branch: AnyBranch, eventType: string, call: Call | undefined): void
  /** The worker is about to process a queued message (a `callAll` batch counts once). */
  delivered?(branch: AnyBranch, eventType: string, call: Call | undefined): void
  /** A call settled: `call.failed` and `call.outcome` say how. */
  settled?(branch: AnyBranch, call: Call): void
  /** The branch emitted one of its events (crash, restart, passivate, activate, stop, ...). */
  branchEvent?(branch: AnyBranch, signal: BranchSignal): void
  /** The supervisor emitted one of its events (childExit, restart, restartFailed, cutOff, shutdown, stop). */
  supervisorEvent?(supervisor: Supervisor, signal: SupervisorSignal): void
  /** `branch` moved from one supervisor to another (its resume there is not reported as a restart). */
  transferred?(branch: AnyBranch, from: Supervisor, to: Supervisor): void
}

/**
 * One per process, however many copies of keepsake it loaded (ESM, CJS): the
 * observers, and the branch a transfer is resuming right now (set just before
 * its resume, which is synchronous).
 */
const watch = processWide('probe.v1', () => ({ observers: [] as Observer[], moving: undefined as AnyBranch | undefined }))
const { observers } = watch

/**
 * The hooks the branch and the supervisor call. Each call site is guarded by
 * `if (probe.on)`, so with no observer a hook costs one property read and
 * one branch, and allocates nothing.
 */
export const probe = processWide('probe.hooks.v1', () => ({
  on: false,
  enqueued(branch: AnyBranch, eventType: string, call: Call | undefined): void {
    for (const o of observers) if (o.enqueued) guarded(() => o.enqueued?.(branch, eventType, call))
  },
  delivered(branch: AnyBranch, eventType: string, call: Call | undefined): void {
    for (const o of observers) if (o.delivered) guarded(() => o.delivered?.(branch, eventType, call))
  },
  settled(branch: AnyBranch, call: Call): void {
    for (const o of observers) if (o.settled) guarded(() => o.settled?.(branch, call))
  },
  branchEvent(branch: AnyBranch, signal: BranchSignal): void {
    if (watch.moving === branch) {
      watch.moving = undefined
      // The transfer's resume is a new incarnation, not a restart: observers were told of the transfer.
      if (signal.event === 'restart') return
    }
    for (const o of observers) if (o.branchEvent) guarded(() => o.branchEvent?.(branch, signal))
  },
  supervisorEvent(supervisor: Supervisor, signal: SupervisorSignal): void {
    for (const o of observers) if (o.supervisorEvent) guarded(() => o.supervisorEvent?.(supervisor, signal))
  },
  transferred(branch: AnyBranch, from: Supervisor, to: Supervisor): void {
    watch.moving = branch
    queueMicrotask(() => {
      if (watch.moving === branch) watch.moving = undefined
    })
    for (const o of observers) if (o.transferred) guarded(() => o.transferred?.(branch, from, to))
  }
}))

/**
 * Adds an observer of every branch and supervisor in the process; returns
 * the function that removes it.
 */
export function observe(observer: Observer): () => void {
  observers.push(observer)
  probe.on = true
  return () => {
    const at = observers.indexOf(observer)
    if (at >= 0) observers.splice(at, 1)
    probe.on = observers.length > 0
  }
}

/** Live branches and supervisors of the process: where an inspector finds the roots. */
export const live = processWide('live.v1', () => ({
  branches: new Set<AnyBranch>(),
  supervisors: new Set<Supervisor>()
}))

/** Every live supervisor and branch that no live supervisor holds: the roots of the process's trees. */
export function liveRoots(): (Supervisor | AnyBranch)[] {
  const held = new Set<unknown>()
  for (const supervisor of live.supervisors) {
    for (const { child } of supervisor.whichChildren()) if (child) held.add(child)
  }
  const roots: (Supervisor | AnyBranch)[] = []
  for (const supervisor of live.supervisors) if (!held.has(supervisor)) roots.push(supervisor)
  for (const branch of live.branches) if (!held.has(branch)) roots.push(branch)
  return roots
}

function guarded(run: () => void): void {
  try {
    run()
  } catch (error) {
    warn(`keepsake: an observer threw: ${String(error)}`)
  }
}
