import { UncloneableError } from './errors'

/**
 * How deeply a value sent to or from an isolated worker may nest: 1,000
 * levels. Structured clone recurses, and a few thousand levels exhaust its
 * call stack; a deeper value is refused with {@link UncloneableError} before
 * anything is sent.
 */
export const MAX_CLONE_DEPTH = 1000

/**
 * Finds the first value under `value` that structured clone refuses or would
 * silently change (a function, a symbol, a class instance, a WeakMap...), or
 * that nests deeper than {@link MAX_CLONE_DEPTH}, and returns an
 * {@link UncloneableError} naming it from `root`, or undefined when
 * everything can cross. Meant for the error path: call it once a copy failed,
 * or before sending something a caller handed in. The walk keeps its own
 * stack, so no nesting exhausts the call stack.
 */
export function findUncloneable(value: unknown, root: string): UncloneableError | undefined {
  try {
    return walk(value, root)
  } catch {
    return new UncloneableError(root, 'a value that could not be read (a getter or a proxy threw)')
  }
}

/** Throws the {@link UncloneableError} of {@link findUncloneable}, if any. */
export function assertCloneable(value: unknown, root: string): void {
  if (isFlat(value)) return
  const error = findUncloneable(value, root)
  if (error) throw error
}

/**
 * True for a plain object whose values are all primitives that cross (no symbol): most events,
 * told without the walk's allocations. Anything else (or a value that can't be read) is walked.
 */
function isFlat(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  try {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
    for (const key in value) {
      const item: unknown = (value as Record<string, unknown>)[key]
      if (typeof item === 'object' ? item !== null : typeof item === 'function' || typeof item === 'symbol') return false
    }
    return true
  } catch {
    return false
  }
}

const CLONEABLE_OBJECTS: readonly Function[] = [Date, RegExp, ArrayBuffer, DataView, Error, Boolean, Number, String]

/** A value to check, and the path suffix that names it under its parent. */
type Child = readonly [label: string, value: unknown]

/** An object being walked: what it holds, and the next of it to check. */
interface Frame {
  readonly label: string
  readonly children: readonly Child[]
  next: number
}

function walk(value: unknown, root: string): UncloneableError | undefined {
  const seen = new Set<object>()
  const frames: Frame[] = []
  const pathTo = (label: string) => root + frames.map((f) => f.label).join('') + label
  let label = ''
  for (;;) {
    const found = check(value, seen)
    if (typeof found === 'string') return new UncloneableError(pathTo(label), found)
    if (found) {
      if (frames.length >= MAX_CLONE_DEPTH) return new UncloneableError(root, `nested more than ${MAX_CLONE_DEPTH} levels deep`)
      frames.push({ label, children: found, next: 0 })
    }
    // On to the next value: the next child of the innermost object with one left.
    for (;;) {
      const frame = frames[frames.length - 1]
      if (!frame) return undefined
      const child = frame.children[frame.next++]
      if (child) {
        ;[label, value] = child
        break
      }
      frames.pop()
    }
  }
}

/**
 * What structured clone would make of `value`: a string saying why it can't
 * cross, the values it holds (to check next), or undefined when it crosses
 * as it is (or was checked already).
 */
function check(value: unknown, seen: Set<object>): string | readonly Child[] | undefined {
  switch (typeof value) {
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
    case 'object':
      break
    default:
      return undefined
  }
  if (value === null || seen.has(value)) return undefined
  seen.add(value)
  if (Array.isArray(value)) return value.map((item: unknown, i): Child => [`[${i}]`, item])
  if (value instanceof Map) {
    const children: Child[] = []
    for (const [key, entry] of value) children.push(['.<key>', key], [`.get(${label(key)})`, entry])
    return children
  }
  if (value instanceof Set) return [...value].map((entry): Child => ['.<entry>', entry])
  if (ArrayBuffer.isView(value) || CLONEABLE_OBJECTS.some((type) => value instanceof type)) return undefined
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name
    return `an instance of ${name || 'a class'} (it would arrive as a plain object, without its methods)`
  }
  return Object.keys(value).map((key): Child => [`.${key}`, (value as Record<string, unknown>)[key]])
}

function label(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(key)
}
