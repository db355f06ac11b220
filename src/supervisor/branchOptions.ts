import type { AnyActorLogic } from 'xstate'
import { systemClock, withLongTimers, type Clock } from '../shared/clock'
import { InvalidLogicError, InvalidOptionError } from '../shared/errors'
import { assertKnownOptions, readDuration, readOptions, safeRead } from '../shared/validate'
import { isActorLogic } from '../worker/isActorLogic'
import { IsolatedRunner } from '../worker/isolated/IsolatedWorker'
import { isLogicModule, readIsolation, resolveLogicModule, type ResolvedModule } from '../worker/isolated/options'
import { readDurableOptions, type DurableConfig } from '../keeper/durable/options'
import { readIntensity, type RestartIntensity } from './intensity'
import type { Grouper } from './dedupe'
import type { Listener } from './types'
import type { InspectObserver } from '../worker/Worker'

/** A branch's default restart intensity: a rehydrated restart is cheap, so it is generous (Peeper's). */
export const DEFAULT_BRANCH_INTENSITY: RestartIntensity = { maxRestarts: 1000, maxSeconds: 10 }

/** `startBranch` options, checked and with defaults applied. */
export interface BranchConfig {
  /** The logic, when the worker runs in this thread (for a module-named logic, once `_open` loaded it). */
  readonly logic: AnyActorLogic | undefined
  /** The logic's module, when it was named by module. */
  readonly module: ResolvedModule | undefined
  /** With isolation 'thread' or 'process': what runs the branch's worker over there. */
  readonly isolated: IsolatedRunner | undefined
  readonly name: string | undefined
  readonly input: unknown
  readonly intensity: RestartIntensity
  readonly listener: Listener<unknown> | undefined
  readonly clock: Clock
  readonly durable: DurableConfig | undefined
  readonly grouper: Grouper | undefined
  /** ms with no message before the worker is passivated; Infinity: never. */
  readonly idleTimeout: number
  readonly inspect: InspectObserver | undefined
}

/** The options of `startBranch` (`BranchOptions`). */
export const BRANCH_OPTIONS: readonly string[] = [
  'logic', 'name', 'input', 'intensity', 'listener', 'clock', 'durable', 'grouper', 'idleTimeout', 'isolation', 'maxProcessingMs', 'resourceLimits', 'inspect'
]

/** Options renamed since 0.1, by old name: the error names the new one. */
export const RENAMED_BRANCH_OPTIONS: Readonly<Record<string, string>> = { restart: 'intensity' }

/** Checks `startBranch` options, throwing a typed error that names the first bad one. */
export function readBranchOptions(options: unknown): BranchConfig {
  const o = readOptions(options, 'startBranch options')
  assertKnownOptions(o, BRANCH_OPTIONS, 'startBranch options', RENAMED_BRANCH_OPTIONS)
  const module = isLogicModule(o.logic) ? resolveLogicModule(o.logic, undefined) : undefined
  if (!module && !isActorLogic(o.logic)) throw new InvalidLogicError(o.logic)
  const isolation = readIsolation(o, module)
  const durable = o.durable === undefined ? undefined : readDurableOptions(o.durable, readName(o.name))
  return {
    logic: module ? undefined : (o.logic as AnyActorLogic),
    module,
    // A durable keeper journals each event (or, in snapshot mode, only needs to know one was processed).
    isolated: isolation && new IsolatedRunner(isolation, durable && (durable.mode === 'journal' ? 'event' : 'type')),
    name: readName(o.name),
    input: o.input,
    intensity: readIntensity(o.intensity, 'intensity', DEFAULT_BRANCH_INTENSITY),
    listener: readListener(o.listener),
    clock: readClock(o.clock),
    durable,
    grouper: readGrouper(o.grouper),
    idleTimeout: readDuration(o.idleTimeout, 'idleTimeout', Infinity, true),
    inspect: readInspect(o.inspect, isolation !== undefined)
  }
}

function readInspect(inspect: unknown, isolated: boolean): InspectObserver | undefined {
  if (inspect === undefined) return undefined
  if (isolated) throw new InvalidOptionError('inspect', "absent with isolation (the actor runs in another thread or process); inspect an isolation: 'none' branch", inspect)
  if (typeof inspect !== 'function' && (typeof inspect !== 'object' || inspect === null)) {
    throw new InvalidOptionError('inspect', 'an xstate inspection observer (a function, or an object with next/error/complete)', inspect)
  }
  return inspect as InspectObserver
}

function readName(name: unknown): string | undefined {
  if (name === undefined) return undefined
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError('name', 'a non-empty string', name)
  }
  return name
}

function readGrouper(grouper: unknown): Grouper | undefined {
  if (grouper !== undefined && typeof grouper !== 'function') throw new InvalidOptionError('grouper', 'a function (event) => string | undefined', grouper)
  return grouper as Grouper | undefined
}

function readListener(listener: unknown): Listener<unknown> | undefined {
  if (listener === undefined) return undefined
  const l = readOptions(listener, 'listener')
  for (const key of ['onStateChange', 'onTerminate'] as const) {
    if (l[key] !== undefined && typeof l[key] !== 'function') {
      throw new InvalidOptionError(`listener.${key}`, 'a function', l[key])
    }
  }
  return l as Listener<unknown>
}

/**
 * A clock is used as given (its methods may live on a class's prototype), once
 * checked, with timers longer than one of its own can be chained from it.
 */
export function readClock(clock: unknown): Clock {
  if (clock === undefined) return systemClock
  if (typeof clock !== 'object' || clock === null) throw new InvalidOptionError('clock', 'an object', clock)
  for (const key of ['now', 'setTimeout', 'clearTimeout'] as const) {
    const method = safeRead(clock, key)
    if (typeof method !== 'function') throw new InvalidOptionError(`clock.${key}`, 'a function', method)
  }
  return withLongTimers(clock as Clock)
}
