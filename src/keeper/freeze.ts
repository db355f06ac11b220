import { freeze } from 'immer'
import { UnkeepableStateError } from '../shared/errors'

/**
 * Deep-freezes plain objects and arrays, and (through immer's `freeze`, which
 * also stops a Map's or Set's mutating methods) Maps and Sets, with the values
 * they hold. Class instances are left as they are, as immer leaves them: a
 * device handle kept in the state stays usable. Already-frozen values are not
 * entered, so a structurally shared update only freezes what is new.
 *
 * The walk keeps its own stack, so no nesting depth can exhaust the call
 * stack (a state 100,000 levels deep freezes like any other). It freezes a
 * value only after everything under it: a frozen value has been walked whole,
 * which is what makes stopping at frozen values safe, also after a walk that
 * failed half-way. Throws {@link UnkeepableStateError} when reading the value
 * throws (a getter, a proxy trap); then nothing above the failing part is
 * frozen.
 *
 * This runs on every message, so the common case (a new root whose values
 * are primitives or already frozen) allocates nothing.
 */
export function deepFreeze(root: unknown): void {
  try {
    if (!isOpen(root)) return
    // Most updates make only the root new: freeze it without building the walk.
    if (!eachChild(root, isOpen)) return freezeOne(root)
    walk(root)
  } catch (error) {
    throw new UnkeepableStateError(error)
  }
}

/** An object this freeze must enter: not frozen yet, and plain data or a collection. */
function isOpen(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return false
  if (Array.isArray(value)) return true
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null || value instanceof Map || value instanceof Set
}

/**
 * Visits every open value under `root` once (a Set guards against cycles),
 * parents before children, then freezes them in reverse: each after
 * everything under it.
 */
function walk(root: object): void {
  const seen = new Set<object>([root])
  const stack: object[] = [root]
  const visited: object[] = []
  const push = (child: unknown): boolean => {
    if (isOpen(child) && !seen.has(child)) {
      seen.add(child)
      stack.push(child)
    }
    return false
  }
  while (stack.length > 0) {
    const value = stack.pop() as object
    visited.push(value)
    eachChild(value, push)
  }
  for (let i = visited.length - 1; i >= 0; i--) freezeOne(visited[i] as object)
}

/** Calls `visit` on each value `value` holds, stopping at the first that returns true; returns whether one did. */
function eachChild(value: object, visit: (child: unknown) => boolean): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (visit(value[i])) return true
  } else if (value instanceof Map || value instanceof Set) {
    for (const item of value.values()) if (visit(item)) return true
  } else {
    for (const key in value) if (visit((value as Record<string, unknown>)[key])) return true
  }
  return false
}

function freezeOne(value: object): void {
  if (value instanceof Map || value instanceof Set) freeze(value, false)
  else Object.freeze(value)
}
