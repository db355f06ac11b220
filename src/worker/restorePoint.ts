import type { AnyActorLogic, AnyActorRef, Snapshot } from 'xstate'
import { capturePendingDelays, type PendingDelay } from './delays'

/**
 * Where a worker incarnation starts from:
 * - `initial`: the logic's initial state, from `input` (the first start only);
 * - `live`: a snapshot the keeper holds, used as it is (no spawned children to revive);
 * - `persisted`: xstate's persisted form, revived by the logic's own `restoreSnapshot`.
 */
export type RestorePoint = { readonly kind: 'initial'; readonly input: unknown } | ResumePoint

/** A point to resume a worker from (anything but its first start). */
export type ResumePoint = Resumed<'live'> | Resumed<'persisted'>

/** A restart: the kept snapshot, and the delayed events that were pending. */
interface Resumed<K extends 'live' | 'persisted'> {
  readonly kind: K
  readonly snapshot: Snapshot<unknown>
  readonly delays: readonly PendingDelay[]
  /**
   * Children that reached their final state after the kept state was taken:
   * started as they are once the worker is up, so it receives their output.
   */
  readonly outcomes?: readonly string[]
}

type ChildSnapshot = { status?: string; value?: unknown }
interface ChildEntry {
  snapshot?: ChildSnapshot
}

/** What a worker knows of its children's past, beyond their state now. */
export interface ChildHistory {
  /** Whether a kept state processed the child's outcome (its done or error event). */
  seen(child: AnyActorRef): boolean
  /** The child's state when the worker first saw it (a promise's holds its input; its final one does not). */
  firstState(child: AnyActorRef): Snapshot<unknown> | undefined
}

/**
 * Chooses how to bring back `kept` after `dead` died. It must run before the
 * dead incarnation is stopped: its children's states and its pending delayed
 * events are read from it.
 *
 * A snapshot without children is reused as it is. Going through xstate's
 * `restoreSnapshot` instead would walk the whole context looking for actor
 * references (~9 ms for a 1 MB context), which is what makes a restart cost
 * time proportional to the state.
 *
 * With children, xstate's persisted form carries each child's state as it is
 * now, and children come back as the kept state had them: a child whose
 * outcome the kept state never saw was still running then, so it runs again.
 * A promise (callback, observable) runs again from its input, as restoring
 * that state in plain xstate would; a machine that failed resumes its own
 * last good state (the one before its failing transition); a machine that
 * finished can't leave its final state, so it delivers its output again. A
 * child that keeps failing is then a crash like any other, bounded by the
 * branch's restart intensity.
 */
export function restorePointFor(logic: AnyActorLogic, kept: Snapshot<unknown>, dead: AnyActorRef, history: ChildHistory): ResumePoint {
  const delays = capturePendingDelays(dead)
  const children = (kept as { children?: Record<string, AnyActorRef> }).children
  if (!children || Object.keys(children).length === 0) return { kind: 'live', snapshot: kept, delays }
  const persisted = logic.getPersistedSnapshot(kept) as { children?: Record<string, ChildEntry> }
  const entries = { ...persisted.children }
  const outcomes: string[] = []
  for (const [id, child] of Object.entries(children)) {
    const entry = entries[id]
    const now = entry?.snapshot
    if (!now || (now.status !== 'error' && now.status !== 'done') || history.seen(child)) continue
    const isMachine = 'value' in now
    if (isMachine && now.status === 'done') outcomes.push(id)
    else entries[id] = { ...entry, snapshot: isMachine ? runningAgain(now) : firstState(child, history) ?? runningAgain(now) }
  }
  const snapshot = { ...persisted, children: entries } as unknown as Snapshot<unknown>
  return { kind: 'persisted', snapshot, delays, outcomes }
}

/** A failed machine's state made active again: xstate leaves its last good context and value in it. */
function runningAgain(snapshot: ChildSnapshot): ChildSnapshot {
  const { error: _error, ...rest } = snapshot as ChildSnapshot & { error?: unknown }
  return { ...rest, status: 'active' }
}

/**
 * The child's first state, in its logic's persisted form; undefined if it was
 * not running then (a child that failed as it started, before the worker first
 * saw it: restored failed, xstate would never start it again, nor report it).
 */
function firstState(child: AnyActorRef, history: ChildHistory): ChildSnapshot | undefined {
  const first = history.firstState(child)
  if (!first || first.status !== 'active') return undefined
  const logic = (child as { logic?: AnyActorLogic }).logic
  return (logic?.getPersistedSnapshot ? logic.getPersistedSnapshot(first) : first) as ChildSnapshot
}
