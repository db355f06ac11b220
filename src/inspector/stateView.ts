import { describeReason } from '../reports/reason'

/**
 * Called for every value of a branch's state before it reaches the page (the
 * state itself first, with key `''` and an empty path), as JSON.stringify's
 * replacer is: return the value to show in its place. What it returns is
 * walked in turn; return a string such as `'[redacted]'` to hide a secret.
 * If it throws, no part of that state is sent.
 *
 * @example
 * redact: (key, value) => (key === 'password' || key === 'apiKey' ? '[redacted]' : value)
 */
export type Redactor = (key: string, value: unknown, path: readonly (string | number)[], branchId: string) => unknown

/** Bounds on what a state view holds. */
export interface StateLimits {
  /** About how many bytes of JSON the whole view may take (default 64 KiB). */
  readonly maxBytes: number
  /** Nesting deeper than this is cut (default 16). */
  readonly maxDepth: number
  /** Items of an array, keys of an object, entries of a Map or Set shown (default 200). */
  readonly maxItems: number
  /** Characters of a string shown (default 2000). */
  readonly maxString: number
}

export const DEFAULT_STATE_LIMITS: StateLimits = { maxBytes: 64 * 1024, maxDepth: 16, maxItems: 200, maxString: 2000 }

/** A state as the page gets it: plain JSON data, cut to the limits. */
export interface StateView {
  readonly state: unknown
  /** Something was left out: a limit was reached. */
  readonly truncated: boolean
}

/** The user's redaction function threw: nothing of the state is sent. */
export class RedactionFailed extends Error {}

const SKIP = Symbol('skip')

/**
 * Turns any value into JSON data the page can show, whatever it holds
 * (cycles, getters or proxies that throw, BigInts, Maps, huge strings or
 * arrays, deep nesting), never more than `limits` allow, and with `redact`
 * applied to every value first. Throws {@link RedactionFailed} if `redact` throws.
 */
export function stateView(value: unknown, branchId: string, redact: Redactor | undefined, limits: StateLimits = DEFAULT_STATE_LIMITS): StateView {
  let budget = limits.maxBytes
  let truncated = false
  const ancestors = new Set<object>()
  const path: (string | number)[] = []

  const cut = (marker: string): string => {
    truncated = true
    return marker
  }

  const walk = (key: string, raw: unknown, depth: number): unknown => {
    let value = raw
    if (redact) {
      try {
        value = redact(key, raw, path, branchId)
      } catch (error) {
        throw new RedactionFailed(`the redact function threw at ${path.length > 0 ? path.join('.') : 'the root'}: ${String(error)}`)
      }
    }
    if (budget <= 0) return cut('[truncated]')
    switch (typeof value) {
      case 'undefined':
        return SKIP
      case 'boolean':
        budget -= 5
        return value
      case 'number':
        budget -= 8
        return Number.isFinite(value) ? value : String(value)
      case 'bigint':
        return leaf(`${value}n`)
      case 'string':
        return leaf(value.length > limits.maxString ? cut(`${value.slice(0, limits.maxString)}… (${value.length - limits.maxString} more characters)`) : value)
      case 'symbol':
        return leaf(`[${value.toString()}]`)
      case 'function':
        return leaf(`[Function ${value.name || 'anonymous'}]`)
    }
    if (value === null) {
      budget -= 4
      return null
    }
    const object = value as object
    if (ancestors.has(object)) return leaf('[Circular]')
    if (depth >= limits.maxDepth) return cut('[nested too deep]')
    ancestors.add(object)
    try {
      return container(object, depth)
    } catch (error) {
      if (error instanceof RedactionFailed) throw error
      return leaf('[unreadable]')
    } finally {
      ancestors.delete(object)
    }
  }

  const leaf = (text: string): string => {
    budget -= text.length + 2
    return text
  }

  const child = (key: string | number, raw: () => unknown, depth: number): unknown => {
    path.push(key)
    try {
      let value: unknown
      try {
        value = raw()
      } catch {
        return leaf('[unreadable]')
      }
      return walk(String(key), value, depth + 1)
    } finally {
      path.pop()
    }
  }

  const items = (list: Iterable<unknown>, size: number, depth: number): unknown[] => {
    const out: unknown[] = []
    let index = 0
    for (const item of list) {
      if (index >= limits.maxItems || budget <= 0) break
      const shown = child(index++, () => item, depth)
      out.push(shown === SKIP ? null : shown)
    }
    if (size > index) out.push(cut(`… ${size - index} more`))
    return out
  }

  const container = (object: object, depth: number): unknown => {
    if (Array.isArray(object)) return items(object, object.length, depth)
    if (object instanceof Date) return leaf(Number.isNaN(object.getTime()) ? '[Invalid Date]' : object.toISOString())
    if (object instanceof Error) return container(describeReason(object), depth)
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) {
      return leaf(`[${object.constructor.name} of ${object.byteLength} bytes]`)
    }
    if (object instanceof Map) return { '[Map]': items(object.entries(), object.size, depth) }
    if (object instanceof Set) return { '[Set]': items(object.values(), object.size, depth) }
    const out: Record<string, unknown> = {}
    const keys = Object.keys(object)
    let shownKeys = 0
    for (const key of keys) {
      if (shownKeys >= limits.maxItems || budget <= 0) break
      shownKeys++
      budget -= key.length + 4
      const shown = child(key, () => (object as Record<string, unknown>)[key], depth)
      if (shown !== SKIP) out[key] = shown
    }
    if (keys.length > shownKeys) out['…'] = cut(`${keys.length - shownKeys} more keys`)
    return out
  }

  const state = walk('', value, 0)
  return { state: state === SKIP ? null : state, truncated }
}
