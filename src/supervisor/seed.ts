import type { AnyActorLogic, Snapshot } from 'xstate'
import { inertScope } from '../keeper/durable/replay'
import type { ResumePoint } from '../worker/restorePoint'

/**
 * A point to start a worker from with `state` as its context (a machine's
 * context, a reducer's state) instead of the logic's initial one: the
 * logic's initial snapshot for `input`, computed without side effects, with
 * its context replaced. A machine starts in its initial state.
 */
export function seedPoint(logic: AnyActorLogic, state: unknown, input: unknown): ResumePoint {
  const initial = logic.getInitialSnapshot(inertScope(logic), input) as Snapshot<unknown>
  const persisted = logic.getPersistedSnapshot(initial) as Snapshot<unknown>
  return { kind: 'persisted', snapshot: { ...persisted, context: state } as unknown as Snapshot<unknown>, delays: [] }
}
