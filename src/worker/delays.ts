import type { AnyActorRef, EventObject } from 'xstate'

/**
 * A delayed event (an `after` transition, a delayed `raise` or `sendTo`) that
 * was pending when a worker died, with its source and target named by their
 * place in the worker's tree: `null` for the worker itself, else a child's id.
 */
export interface PendingDelay {
  readonly source: string | null
  readonly target: string | null
  readonly event: EventObject
  readonly id: string
  /** When it is due, in `Date.now()` ms (xstate's own time base for these). */
  readonly dueAt: number
}

function placeOf(ref: AnyActorRef, root: AnyActorRef): string | null | undefined {
  if (ref === root) return null
  const children = (root.getSnapshot() as { children?: Record<string, AnyActorRef> }).children ?? {}
  for (const [id, child] of Object.entries(children)) if (child === ref) return id
  return undefined
}

function refAt(place: string | null, root: AnyActorRef): AnyActorRef | undefined {
  if (place === null) return root
  return (root.getSnapshot() as { children?: Record<string, AnyActorRef> }).children?.[place]
}

/**
 * Reads the delayed events pending in `actor`'s system, before it is stopped
 * (stopping cancels them). xstate does not carry them over when an actor is
 * restored, so a restarted machine waiting in a state with `after` would wait
 * forever; the worker reschedules them instead. Events between deeper
 * descendants are not carried (their places can't be named reliably).
 */
export function capturePendingDelays(actor: AnyActorRef): readonly PendingDelay[] {
  const scheduled = actor.system.getSnapshot()._scheduledEvents
  const pending: PendingDelay[] = []
  for (const { source, target, event, id, delay, startedAt } of Object.values(scheduled)) {
    const from = placeOf(source, actor)
    const to = placeOf(target, actor)
    if (from === undefined || to === undefined) continue
    pending.push({ source: from, target: to, event, id, dueAt: startedAt + delay })
  }
  // Most restore points have none: one shared empty list keeps a passivated branch smaller.
  return pending.length > 0 ? pending : NO_DELAYS
}

const NO_DELAYS: readonly PendingDelay[] = Object.freeze([])

/** Schedules `pending` again in a new incarnation's system, for the time each had left. */
export function reschedule(actor: AnyActorRef, pending: readonly PendingDelay[]): void {
  const now = Date.now()
  for (const delay of pending) {
    const source = refAt(delay.source, actor)
    const target = refAt(delay.target, actor)
    if (!source || !target) continue
    actor.system.scheduler.schedule(source, target, delay.event, Math.max(0, delay.dueAt - now), delay.id)
  }
}
