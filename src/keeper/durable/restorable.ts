import type { AnyActorLogic, AnyActorScope } from 'xstate'
import { describe } from '../../shared/errors'

/** The statuses an xstate snapshot can have. */
const STATUSES: readonly unknown[] = ['active', 'done', 'error', 'stopped']

/**
 * Why a stored snapshot is not one `logic` can restore, or undefined if it
 * may be: it must be an object with an xstate status, and its context the
 * same kind of JSON value (object, array, string...) as the logic's initial
 * one. A machine's state value is checked by the logic's own restore, which
 * throws for a state that does not exist. Shallow: O(1) in the state's size.
 */
export function unrestorable(logic: AnyActorLogic, scope: AnyActorScope, data: unknown, input: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return `it is ${describe(data)}, not a snapshot object`
  const { status, context } = data as { status?: unknown; context?: unknown }
  if (!STATUSES.includes(status)) return `its status is ${describe(status)}, not one of ${STATUSES.join(', ')}`
  const initial = initialContext(logic, scope, input)
  // A null or absent initial context ("nothing yet") says nothing about the kind that follows.
  if (initial !== undefined && initial !== null && kindOf(context) !== kindOf(initial)) {
    return `its context is ${kindOf(context)}, where the logic's initial context is ${kindOf(initial)}`
  }
  return undefined
}

/** The context the logic starts with (undefined if it has none, or its start throws: nothing to compare). */
function initialContext(logic: AnyActorLogic, scope: AnyActorScope, input: unknown): unknown {
  try {
    return (logic.getInitialSnapshot(scope, input) as { context?: unknown }).context
  } catch {
    return undefined
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
