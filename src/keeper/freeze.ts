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
 * stack (a state 100,000 levels deep freezes like any other). Throws
 * {@link UnkeepableStateError} when reading the value throws (a getter, a
 * proxy trap). A value is frozen before what is under it is read (that is
 * what ends a cycle), so a walk that failed leaves frozen values whose insides
 * were not all walked: they are remembered as such, and the next walk that
 * meets one enters it again instead of stopping there.
 *
 * `walked`, a state an earlier walk entered and froze whole (what it
 * returned), saves asking V8 whether `root` is frozen when it is that state,
 * and whether each child `root` shares with it is: an update made by spreading
 * (xstate's `assign`, a reducer's `{ ...state }`) shares every child it did not
 * change, and `Object.isFrozen` is a call into V8's C++ runtime per value, per
 * message. Returns what to pass as `walked` to the next walk: `root` when this
 * walk entered it as data (an array, a plain object, a Map or Set), so that all
 * under it is frozen now, or when it is `walked`; else undefined.
 *
 * This runs on every message, so it allocates nothing (its stack is shared)
 * and looks up nothing unless a walk has failed in this process.
 */
export function deepFreeze(root: unknown, walked?: object): object | undefined {
  // A reducer's number or string: nothing to freeze, and no walk to set up.
  if (typeof root !== 'object' || root === null) return undefined
  // The state kept already (an event that changed nothing): frozen whole by its own walk.
  if (root === walked) return walked
  // A getter the walk runs may freeze another branch's state meanwhile, on top of this walk's part of the stack.
  const base = stack.length
  try {
    // The root is entered directly: a state whose parts did not change stacks nothing.
    if (!isOpen(root)) return undefined
    const data = enter(root, walked as Record<PropertyKey, unknown> | undefined)
    while (stack.length > base) enter(stack.pop() as object, undefined)
    return data ? root : undefined
  } catch (error) {
    stack.length = base
    markUnwalked(root)
    throw new UnkeepableStateError(error)
  }
}

/** The walk's stack, shared by every walk (each works above the part it found). */
const stack: unknown[] = []

/** Values a failed walk froze, not knowing whether all that is under them was walked. */
let unwalked: WeakSet<object> | undefined

/**
 * After a failed walk: marks every frozen value under `root` as unwalked (some
 * may have been frozen whole before, which only costs them a walk more), so
 * the next walk enters them again. What can't be read is skipped.
 */
function markUnwalked(root: unknown): void {
  const marks = (unwalked ??= new WeakSet())
  const seen = new Set<object>()
  const pending = [root]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value !== 'object' || value === null || seen.has(value)) continue
    seen.add(value)
    try {
      if (!Object.isFrozen(value)) continue
      marks.add(value)
      if (Array.isArray(value)) for (const item of value) pending.push(item)
      else if (value instanceof Map || value instanceof Set) for (const item of value.values()) pending.push(item)
      else for (const key in value) pending.push((value as Record<string, unknown>)[key])
    } catch {
      // Unreadable (the value that failed the walk): nothing under it was frozen through it.
    }
  }
}

/**
 * Freezes `value` (open when it was pushed) if it is plain data or a collection, and stacks what
 * under it is still open; a class instance is left as it is. Plain objects and arrays (most of
 * any state) are told first: this runs for every object a message made. `kept`: the value
 * `value` replaces (the root's previous state, else undefined), whose children under the same
 * key are frozen whole already.
 */
function enter(value: object, kept: Record<PropertyKey, unknown> | undefined): boolean {
  // An object reached twice may be entered twice, which freezes nothing more.
  if (Array.isArray(value)) {
    Object.freeze(value)
    for (let i = 0; i < value.length; i++) pushIfOpen(value[i], kept, i)
    return true
  }
  const proto = prototypeOf(value)
  if (proto === Object.prototype || proto === null) {
    Object.freeze(value)
    for (const key in value) pushIfOpen((value as Record<string, unknown>)[key], kept, key)
    return true
  }
  if (!(value instanceof Map || value instanceof Set)) return false
  freeze(value, false)
  for (const item of value.values()) pushIfOpen(item, undefined, 0)
  return true
}

/**
 * Whether `__proto__` reads as the standard accessor. Node's `--disable-proto=throw` makes it
 * throw, `--disable-proto=delete` removes it (a read gives undefined, which `prototypeOf` asks
 * again anyway).
 */
const PROTO_READS = (() => {
  try {
    return ({} as { __proto__?: unknown }).__proto__ === Object.prototype
  } catch {
    return false
  }
})()

/**
 * `value`'s prototype. Read as `__proto__` first: for the maps a walk has seen, TurboFan folds
 * that read into a constant, where `Object.getPrototypeOf` is a call into V8's runtime for every
 * object a message made. Anything but `Object.prototype` is asked again. (An own `__proto__`
 * data property, as JSON.parse makes, holds data: only one deliberately set to
 * `Object.prototype` would pass for plain here.)
 */
function prototypeOf(value: object): unknown {
  if (PROTO_READS && (value as { __proto__?: unknown }).__proto__ === Object.prototype) return Object.prototype
  return Object.getPrototypeOf(value)
}

/**
 * Whether the walk must enter `value`: not frozen, or frozen by a failed walk (then entered once
 * more, so it is no longer marked). A primitive counts as frozen, and no WeakSet holds one.
 */
function isOpen(value: unknown): boolean {
  return !Object.isFrozen(value) || unwalked?.delete(value as object) === true
}

/** Stacks `value`, found under `key`, if it is an object still open (one `kept` holds under the same key is not). */
function pushIfOpen(value: unknown, kept: Record<PropertyKey, unknown> | undefined, key: PropertyKey): void {
  // Only objects are entered (a function is not plain data): a primitive, most values in a state, costs no call to Object.isFrozen.
  if (typeof value === 'object' && value !== null && (kept === undefined || kept[key] !== value) && isOpen(value)) stack.push(value)
}
