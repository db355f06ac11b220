import { processWide } from '../shared/processWide'
import type { Call } from './Call'
import type { BranchEvents, SupervisorEvents } from './types'
import { warn } from '../shared/platform'

// This file knows branches and supervisors only as the objects they are, so
// that Branch.ts and Supervisor.ts can import it; observe.ts gives observers
// their types.

/** One event a branch emitted, as observers get it (narrow on `event`). */
export type BranchSignal = {
  [K in keyof BranchEvents<unknown>]: { readonly event: K; readonly args: Parameters<BranchEvents<unknown>[K]> }
}[keyof BranchEvents<unknown>]

/** One event a supervisor emitted, as observers get it (narrow on `event`). */
export type SupervisorSignal = {
  [K in keyof SupervisorEvents]: { readonly event: K; readonly args: Parameters<SupervisorEvents[K]> }
}[keyof SupervisorEvents]

/**
 * Sees what every branch (`B`) and supervisor (`S`) of the process does, for
 * telemetry, crash reports and the inspector (`Observer` in observe.ts names
 * the two). Every method is optional and is called synchronously, on the hot
 * path: keep it cheap. What it throws is reported as a process warning and
 * goes no further.
 */
export interface ObserverOf<B, S> {
  /** A message was queued on `branch`; `call` is set for calls (`undefined` for casts and sends). */
  enqueued?(branch: B, eventType: string, call: Call | undefined): void
  /** The worker is about to process a queued message (a `callAll` batch counts once). */
  delivered?(branch: B, eventType: string, call: Call | undefined): void
  /** A call settled: `call.failed` and `call.outcome` say how. */
  settled?(branch: B, call: Call): void
  /** The branch emitted one of its events (crash, restart, passivate, activate, stop, ...). */
  branchEvent?(branch: B, signal: BranchSignal): void
  /** The supervisor emitted one of its events (childExit, restart, restartFailed, cutOff, shutdown, stop). */
  supervisorEvent?(supervisor: S, signal: SupervisorSignal): void
  /** `branch` moved from one supervisor to another (its resume there is not reported as a restart). */
  transferred?(branch: B, from: S, to: S): void
}

/** An observer as this file calls it: of branches and supervisors as objects. */
type AnyObserver = ObserverOf<object, object>

/**
 * One per process, however many copies of keepsake it loaded (ESM, CJS): the
 * observers, and the branch a transfer is resuming right now (set just before
 * its resume, which is synchronous).
 */
const watch = processWide('probe.v1', () => ({ observers: [] as AnyObserver[], moving: undefined as object | undefined }))
const { observers } = watch

/**
 * The hooks the branch and the supervisor call. Each call site is guarded by
 * `if (probe.on)`, so with no observer a hook costs one property read and
 * one branch, and allocates nothing.
 */
export const probe = processWide('probe.hooks.v1', () => ({
  on: false,
  enqueued(branch: object, eventType: string, call: Call | undefined): void {
    notify('enqueued', branch, eventType, call)
  },
  delivered(branch: object, eventType: string, call: Call | undefined): void {
    notify('delivered', branch, eventType, call)
  },
  settled(branch: object, call: Call): void {
    notify('settled', branch, call)
  },
  branchEvent(branch: object, signal: BranchSignal): void {
    if (watch.moving === branch) {
      watch.moving = undefined
      // The transfer's resume is a new incarnation, not a restart: observers were told of the transfer.
      if (signal.event === 'restart') return
    }
    notify('branchEvent', branch, signal)
  },
  supervisorEvent(supervisor: object, signal: SupervisorSignal): void {
    notify('supervisorEvent', supervisor, signal)
  },
  transferred(branch: object, from: object, to: object): void {
    watch.moving = branch
    // The mark is for the resume, which follows at once; by the next microtask
    // any mark left (a resume that emitted nothing) is stale and must not hide a later restart.
    queueMicrotask(() => (watch.moving = undefined))
    notify('transferred', branch, from, to)
  }
}))

/** Calls `hook` on every observer that has it; what one throws is reported and goes no further. */
function notify<K extends keyof AnyObserver>(hook: K, ...args: Parameters<NonNullable<AnyObserver[K]>>): void {
  for (const observer of observers) {
    const method = observer[hook] as ((...a: typeof args) => void) | undefined
    if (method === undefined) continue
    try {
      method.apply(observer, args)
    } catch (error) {
      warn(`keepsake: an observer threw: ${String(error)}`)
    }
  }
}

/**
 * Adds an observer of every branch and supervisor in the process; returns
 * the function that removes it. Use `observe` (observe.ts), which types it.
 */
export function addObserver(observer: AnyObserver): () => void {
  observers.push(observer)
  probe.on = true
  return () => {
    const at = observers.indexOf(observer)
    if (at >= 0) observers.splice(at, 1)
    probe.on = observers.length > 0
  }
}

/** Live branches and supervisors of the process (each adds itself on start, removes itself on stop); observe.ts reads them typed. */
export const live = processWide('live.v1', () => ({
  branches: new Set<object>(),
  supervisors: new Set<object>()
}))
