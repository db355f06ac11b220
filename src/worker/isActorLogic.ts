import type { AnyActorLogic } from 'xstate'

/**
 * True for anything xstate can run as an actor: a machine, or logic from
 * `fromTransition` and friends. A value whose reading throws (a proxy's trap,
 * a getter) is not.
 */
export function isActorLogic(value: unknown): value is AnyActorLogic {
  if (typeof value !== 'object' || value === null) return false
  const logic = value as Partial<Record<'transition' | 'getInitialSnapshot', unknown>>
  try {
    return typeof logic.transition === 'function' && typeof logic.getInitialSnapshot === 'function'
  } catch {
    return false
  }
}
