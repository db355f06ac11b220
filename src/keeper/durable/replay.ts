import { createActor, type AnyActorLogic, type AnyActorRef, type AnyActorScope, type EventObject, type Snapshot } from 'xstate'

/** What an inert scope does with deferred work, actions, emitted events and children to stop: nothing (an arrow, as xstate's are). */
const dropped = (): void => {}

/**
 * An actor scope in which nothing happens: actions are dropped, deferred work
 * (starting invoked actors, delayed events) never runs, nothing is emitted.
 * Replaying a journal through the logic's own `transition` with it computes
 * state without side effects: no email sent twice, no device command repeated.
 * One scope serves a whole replay (xstate's exported `transition` builds one
 * per call, which caps a replay at ~42k events/s).
 */
export function inertScope(logic: AnyActorLogic): AnyActorScope {
  // Never started: its own initial work stays queued, unrun. Its system is emptied of what the
  // initial state registered (a child's systemId), or restoring a snapshot that holds the same
  // child would register it twice and fail ("Actor with system ID ... already exists").
  const self = createActor(logic)
  for (const child of Object.values(childrenOf(self.getSnapshot()))) unregister(self.system, child)
  // xstate's own actor scope's shape: the same properties in the same order (xstate's Actor
  // constructor, `_actorScope = { self, id, sessionId, logger, defer, system, stopChild, emit,
  // actionExecutor }`), so the transition code a replay shares with the live actors sees one
  // hidden class of scope, and keeps the optimized code their calls made (a scope of another
  // shape deoptimized xstate's macrostep, microstep, resolveAssign... after each replay check,
  // to be optimized again by the live calls after it). The functions are made once: a call site
  // that meets them sees one more target, not a new one per scope.
  return {
    self,
    id: self.id,
    sessionId: self.sessionId,
    logger: (self as unknown as { logger: unknown }).logger,
    defer: dropped,
    system: self.system,
    stopChild: dropped,
    emit: dropped,
    actionExecutor: dropped
  } as unknown as AnyActorScope
}

/** The children a snapshot holds (none for logic that keeps none). */
function childrenOf(snapshot: unknown): Record<string, AnyActorRef> {
  return ((snapshot as { children?: Record<string, AnyActorRef> | null }).children ?? {}) as Record<string, AnyActorRef>
}

/** Takes `actor` and what it holds out of `system`'s registry (xstate's own bookkeeping when an actor stops). */
function unregister(system: AnyActorRef['system'], actor: AnyActorRef | undefined): void {
  if (!actor) return
  for (const child of Object.values(childrenOf(actor.getSnapshot()))) unregister(system, child)
  ;(system as unknown as { _unregister(actor: AnyActorRef): void })._unregister(actor)
}

/** A live snapshot from a persisted one (or the initial state), in `scope`. */
export function revive(logic: AnyActorLogic, scope: AnyActorScope, persisted: Snapshot<unknown> | undefined, input: unknown): Snapshot<unknown> {
  if (persisted === undefined) return logic.getInitialSnapshot(scope, input) as Snapshot<unknown>
  return (logic.restoreSnapshot ? logic.restoreSnapshot(persisted, scope) : persisted) as Snapshot<unknown>
}

/** Applies `events` to `snapshot` in `scope`, purely. Throws what the logic throws. */
export function replay(logic: AnyActorLogic, scope: AnyActorScope, snapshot: Snapshot<unknown>, events: Iterable<EventObject>): Snapshot<unknown> {
  let current = snapshot
  for (const event of events) current = logic.transition(current, event, scope) as Snapshot<unknown>
  return current
}
