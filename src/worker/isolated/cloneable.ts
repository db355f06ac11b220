import { UncloneableError } from './errors'

/**
 * Finds the first value under `value` that structured clone refuses or would
 * silently change (a function, a symbol, a class instance, a WeakMap...) and
 * returns an {@link UncloneableError} naming it from `root`, or undefined when
 * everything can cross. Meant for the error path: call it once a copy failed,
 * or before sending something a caller handed in.
 */
export function findUncloneable(value: unknown, root: string): UncloneableError | undefined {
  try {
    return walk(value, root, new Set())
  } catch {
    return new UncloneableError(root, 'a value that could not be read (a getter or a proxy threw)')
  }
}

/** Throws the {@link UncloneableError} of {@link findUncloneable}, if any. */
export function assertCloneable(value: unknown, root: string): void {
  const error = findUncloneable(value, root)
  if (error) throw error
}

const CLONEABLE_OBJECTS: readonly Function[] = [Date, RegExp, ArrayBuffer, DataView, Error, Boolean, Number, String]

function walk(value: unknown, path: string, seen: Set<object>): UncloneableError | undefined {
  switch (typeof value) {
    case 'function':
      return new UncloneableError(path, 'a function')
    case 'symbol':
      return new UncloneableError(path, 'a symbol')
    case 'object':
      break
    default:
      return undefined
  }
  if (value === null || seen.has(value)) return undefined
  seen.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], `${path}[${i}]`, seen)
      if (found) return found
    }
    return undefined
  }
  if (value instanceof Map) {
    for (const [key, entry] of value) {
      const found = walk(key, `${path}.<key>`, seen) ?? walk(entry, `${path}.get(${label(key)})`, seen)
      if (found) return found
    }
    return undefined
  }
  if (value instanceof Set) {
    for (const entry of value) {
      const found = walk(entry, `${path}.<entry>`, seen)
      if (found) return found
    }
    return undefined
  }
  if (ArrayBuffer.isView(value) || CLONEABLE_OBJECTS.some((type) => value instanceof type)) return undefined
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name
    return new UncloneableError(path, `an instance of ${name || 'a class'} (it would arrive as a plain object, without its methods)`)
  }
  for (const key of Object.keys(value)) {
    const found = walk((value as Record<string, unknown>)[key], `${path}.${key}`, seen)
    if (found) return found
  }
  return undefined
}

function label(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(key)
}
