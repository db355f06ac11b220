import { describeCause, InvalidEventError, InvalidOptionError, UnknownOptionError } from './errors'

/** A value usable as an event: an object with a string `type`. */
export function assertEvent(event: unknown): asserts event is { type: string } {
  if (typeof event !== 'object' || event === null || isArray(event)) {
    throw new InvalidEventError(event)
  }
  let type: unknown
  try {
    type = (event as { type?: unknown }).type
  } catch {
    throw new InvalidEventError(event)
  }
  if (typeof type !== 'string' || type.length === 0) throw new InvalidEventError(event)
}

const NO_OPTIONS: Record<string, unknown> = Object.freeze({})

/**
 * Options must be absent or an object. Returns a shallow copy, read once, so
 * that a getter that throws (or answers differently each time) is caught here
 * and reported as a bad option instead of escaping later.
 */
export function readOptions(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined) return NO_OPTIONS
  if (typeof options !== 'object' || options === null || isArray(options)) {
    throw new InvalidOptionError(what, 'an object or undefined', options)
  }
  try {
    return { ...options }
  } catch {
    throw new InvalidOptionError(what, 'an object whose properties can be read', options)
  }
}

/**
 * Copies a list given as an option (`callAll`'s events, a supervisor's
 * children) once, item by item, so that a Proxy or a getter that throws is
 * reported here as a bad option, not met later half-way through the work.
 * Throws `InvalidOptionError` naming `option` if it is not an array or can't
 * be read.
 */
export function readList(value: unknown, option: string, expected: string): unknown[] {
  if (!isArray(value)) throw new InvalidOptionError(option, expected, value)
  const list = value as readonly unknown[]
  try {
    const copy: unknown[] = []
    for (let i = 0, length = list.length; i < length; i++) copy.push(list[i])
    return copy
  } catch (error) {
    throw new InvalidOptionError(option, `${expected} whose items can be read (reading one threw ${describeCause(error)})`, value, { cause: error })
  }
}

/** A handler must be a function. */
export function assertFunction(value: unknown, what: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new InvalidOptionError(what, 'a function', value)
}

/** A duration in ms: a non-negative number, `Infinity` allowed only when `allowInfinity`. */
export function readDuration(
  value: unknown,
  option: string,
  fallback: number,
  allowInfinity = false
): number {
  if (value === undefined) return fallback
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    !Number.isNaN(value) &&
    (allowInfinity || Number.isFinite(value))
  if (!ok) {
    throw new InvalidOptionError(
      option,
      allowInfinity ? 'a number of ms >= 0 (or Infinity)' : 'a finite number of ms >= 0',
      value
    )
  }
  return value
}

/** `Array.isArray(value)`, except that a revoked Proxy (for which it throws) is not an array. */
export function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value)
  } catch {
    return false
  }
}

/**
 * `value instanceof type`, except that a hostile value (a proxy whose traps
 * throw) is simply not an instance.
 */
export function isInstance<T>(value: unknown, type: Function & { prototype: T }): value is T {
  try {
    return value instanceof type
  } catch {
    return false
  }
}

/** Reads `value[key]`, treating a getter or proxy trap that throws as absent. */
export function safeRead(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/**
 * Throws {@link UnknownOptionError} for the first key of `options` (read by
 * `readOptions`) that is not in `known` and is not `undefined` (spreads of
 * absent options pass), naming the closest known one; a key in `renamed` is
 * reported as renamed to its new name.
 */
export function assertKnownOptions(
  options: Record<string, unknown>,
  known: readonly string[],
  what: string,
  renamed: Readonly<Record<string, string>> = {}
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key) || options[key] === undefined) continue
    const newName = Object.hasOwn(renamed, key) ? renamed[key] : undefined
    throw new UnknownOptionError(what, key, known, newName ?? closest(key, known), newName !== undefined)
  }
}

/** The name in `names` nearest to `given` (ignoring case), if it is near enough to be a slip of the keyboard. */
function closest(given: string, names: readonly string[]): string | undefined {
  const lower = given.toLowerCase()
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(given.length / 3)) + 1
  for (const name of names) {
    const distance = editDistance(lower, name.toLowerCase())
    if (distance < bestDistance) {
      best = name
      bestDistance = distance
    }
  }
  return best
}

/** Levenshtein distance (insertions, deletions, substitutions); options are short, so O(n·m) is nothing. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      row.push(Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, substitution))
    }
    previous = row
  }
  return previous[b.length] as number
}
