import { createActor, type AnyActorLogic, type AnyActorScope, type EventObject, type Snapshot } from 'xstate'

/**
 * An actor scope in which nothing happens: actions are dropped, deferred work
 * (starting invoked actors, delayed events) never runs, nothing is emitted.
 * Replaying a journal through the logic's own `transition` with it computes
 * state without side effects: no email sent twice, no device command repeated.
 * One scope serves a whole replay (xstate's exported `transition` builds one
 * per call, which caps a replay at ~42k events/s).
 */
export function inertScope(logic: AnyActorLogic): AnyActorScope {
  // Never started: its own initial work stays queued, unrun.
  const self = createActor(logic)
  return {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: () => {},
    system: self.system
  } as unknown as AnyActorScope
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
