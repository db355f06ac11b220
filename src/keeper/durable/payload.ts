import type { EventObject } from 'xstate'

/**
 * An event as it is journaled. Events the actor makes itself can carry an
 * Error (an invoked actor's failure); JSON has no Error, so one becomes
 * `{ name, message }`, which is what a replayed `onError` gets. Anything else
 * that is not JSON is left as it is, for the store to refuse, naming where.
 */
export function journalPayload(event: EventObject): unknown {
  return withoutErrors(event, new Set())
}

function withoutErrors(value: unknown, seen: Set<object>): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (typeof value !== 'object' || value === null || seen.has(value)) return value
  seen.add(value)
  let copy: Record<string, unknown> | unknown[] | undefined
  for (const [key, item] of Object.entries(value)) {
    const mapped = withoutErrors(item, seen)
    if (mapped !== item) {
      copy ??= Array.isArray(value) ? [...value] : { ...value }
      ;(copy as Record<string, unknown>)[key] = mapped
    }
  }
  seen.delete(value)
  return copy ?? value
}
