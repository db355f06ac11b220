import type { AnyActorLogic, AnyActorScope } from 'xstate'
import { describe } from '../../shared/errors'

/** The statuses an xstate snapshot can have. */
const STATUSES: readonly unknown[] = ['active', 'done', 'error', 'stopped']

/**
 * Why a stored snapshot is not one `logic` can restore, or undefined if it
 * may be: it must be an object with an xstate status, and its context the
 * same kind of JSON value (object, array, string...) as the logic's initial
 * one. A machine's state value must be one xstate can resolve: a state
 * name, or an object of them, with no empty object where a node has child
 * states (xstate would read it as "the initial state" and silently start
 * over). That each name exists is checked by the logic's own restore, which
 * throws for one that does not. O(1) in the context's size.
 */
export function unrestorable(logic: AnyActorLogic, scope: AnyActorScope, data: unknown, input: unknown): string | undefined {
  return unfitShape(logic, data, initialContext(logic, scope, input))
}

/** `unrestorable`, given the logic's initial context (computed once for many snapshots). */
export function unfitShape(logic: AnyActorLogic, data: unknown, initial: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return `it is ${describe(data)}, not a snapshot object`
  const { status, context } = data as { status?: unknown; context?: unknown }
  if (!STATUSES.includes(status)) return `its status is ${describe(status)}, not one of ${STATUSES.join(', ')}`
  const root = machineRoot(logic)
  if (root) {
    const why = malformedValue(root, (data as { value?: unknown }).value)
    if (why !== undefined) return `its state value ${why}`
  }
  // A null or absent initial context ("nothing yet") says nothing about the kind that follows.
  if (initial !== undefined && initial !== null && kindOf(context) !== kindOf(initial)) {
    return `its context is ${kindOf(context)}, where the logic's initial context is ${kindOf(initial)}`
  }
  return undefined
}

/** The part of an xstate state node the value check walks. */
interface StateNodeLike {
  readonly states?: Readonly<Record<string, StateNodeLike>>
}

/** A machine's root state node, or undefined for other logic. */
function machineRoot(logic: AnyActorLogic): StateNodeLike | undefined {
  return typeof (logic as { resolveState?: unknown }).resolveState === 'function' ? (logic as { root?: StateNodeLike }).root : undefined
}

/**
 * Why `value` is not a state value's shape under `root`: a non-empty name, or
 * an object of them, where an empty object stands only for a node without
 * child states (a machine with no states has the value `{}`).
 */
function malformedValue(root: StateNodeLike, value: unknown): string | undefined {
  const pending: { node: StateNodeLike | undefined; value: unknown; path: string }[] = [{ node: root, value, path: '' }]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, path } = next
    const at = path === '' ? '' : ` at ${path}`
    if (typeof next.value === 'string') {
      if (next.value.length === 0) return `is an empty name${at}`
      continue
    }
    if (typeof next.value !== 'object' || next.value === null || Array.isArray(next.value)) {
      return `is ${describe(next.value)}${at}, not a state name or an object of them`
    }
    const entries = Object.entries(next.value)
    if (entries.length === 0 && Object.keys(node?.states ?? {}).length > 0) {
      return `is an empty object${at}, which names none of its states (xstate would start it over)`
    }
    for (const [key, child] of entries) pending.push({ node: node?.states?.[key], value: child, path: path === '' ? key : `${path}.${key}` })
  }
  return undefined
}

/** The context the logic starts with (undefined if it has none, or its start throws: nothing to compare). */
export function initialContext(logic: AnyActorLogic, scope: AnyActorScope, input: unknown): unknown {
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
