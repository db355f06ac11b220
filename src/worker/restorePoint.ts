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
}

interface ChildEntry {
  snapshot?: { status?: string }
}

/**
 * Chooses how to bring back `kept` after `dead` died. It must run before the
 * dead incarnation is stopped: its children's states and its pending delayed
 * events are read from it.
 *
 * A snapshot without children is reused as it is. Going through xstate's
 * `restoreSnapshot` instead would walk the whole context looking for actor
 * references (~9 ms for a 1 MB context), which is what makes a restart cost
 * time proportional to the state. With children, xstate's persisted form
 * carries each child's state; a child that itself failed is left out, so the
 * restarted worker is not handed the actor that crashed it.
 */
export function restorePointFor(logic: AnyActorLogic, kept: Snapshot<unknown>, dead: AnyActorRef): ResumePoint {
  const delays = capturePendingDelays(dead)
  const children = (kept as { children?: Record<string, AnyActorRef> }).children
  if (!children || Object.keys(children).length === 0) return { kind: 'live', snapshot: kept, delays }
  return { kind: 'persisted', snapshot: withRevivableChildren(logic.getPersistedSnapshot(kept) as Snapshot<unknown>), delays }
}

/**
 * A persisted snapshot without the children that can't be revived: a child
 * that itself failed is left out, so the restarted worker is not handed the
 * actor that crashed it.
 */
export function withRevivableChildren(persisted: Snapshot<unknown>): Snapshot<unknown> {
  const children = (persisted as { children?: Record<string, ChildEntry> }).children
  if (!children) return persisted
  const revivable: Record<string, ChildEntry> = {}
  for (const [id, entry] of Object.entries(children)) {
    const status = entry.snapshot?.status
    if (status === 'active' || status === 'done') revivable[id] = entry
  }
  return { ...persisted, children: revivable } as unknown as Snapshot<unknown>
}
