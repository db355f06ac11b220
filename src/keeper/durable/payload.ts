import type { EventObject } from 'xstate'

/**
 * An event as it is journaled. Events the actor makes itself can carry an
 * Error (an invoked actor's failure); JSON has no Error, so one becomes
 * `{ name, message }`, which is what a replayed `onError` gets. Anything else
 * that is not JSON is left as it is, for the store to refuse, naming where.
 *
 * Only the objects on the way to an Error are copied; an event without one
 * is returned as it is. The walk keeps its own stack, so no nesting depth
 * exhausts the call stack (the store's codec bounds the depth it takes).
 * What reading the event throws (a getter, a proxy trap) is thrown as is.
 */
export function journalPayload(event: EventObject): unknown {
  if (!(event instanceof Error) && isFlat(event)) return event
  const paths = errorPaths(event)
  return paths.length === 0 ? event : withErrorsReplaced(event, paths)
}

/** True when no value of `event` is an object: nothing in it can be an Error (most events; checked without allocating). */
function isFlat(event: EventObject): boolean {
  for (const key in event) {
    const value = (event as unknown as Record<string, unknown>)[key]
    if (typeof value === 'object' && value !== null) return false
  }
  return true
}

/** The paths (own enumerable keys; an array's index as a string is as good as a number) from `root` to each Error under it, cycles cut. */
function errorPaths(root: unknown): string[][] {
  if (root instanceof Error) return [[]]
  const found: string[][] = []
  // A frame per object being walked: its entries, and where the walk is in them.
  const frames: { node: object; entries: [string, unknown][]; next: number }[] = []
  const ancestors = new Set<object>()
  const enter = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || ancestors.has(node)) return
    ancestors.add(node)
    frames.push({ node, entries: Object.entries(node), next: 0 })
  }
  enter(root)
  while (frames.length > 0) {
    const frame = frames[frames.length - 1] as (typeof frames)[number]
    const entry = frame.entries[frame.next++]
    if (entry === undefined) {
      frames.pop()
      ancestors.delete(frame.node)
      continue
    }
    const [, item] = entry
    if (item instanceof Error) found.push(frames.map((f) => (f.entries[f.next - 1] as [string, unknown])[0]))
    else enter(item)
  }
  return found
}

/** A copy of `root` with the Error at each of `paths` replaced by `{ name, message }`, copying only the objects on the way. */
function withErrorsReplaced(root: unknown, paths: readonly string[][]): unknown {
  if (root instanceof Error) return plainError(root)
  const copies = new Map<object, Record<string, unknown>>()
  const copyOf = (node: object): Record<string, unknown> => {
    let copy = copies.get(node)
    if (!copy) {
      copy = (Array.isArray(node) ? [...(node as unknown[])] : { ...node }) as Record<string, unknown>
      copies.set(node, copy)
    }
    return copy
  }
  const top = copyOf(root as object)
  for (const path of paths) {
    let original = root as Record<string, unknown>
    let copy = top
    path.forEach((key, i) => {
      const item = original[key] as Record<string, unknown>
      if (i === path.length - 1) copy[key] = plainError(item as unknown as Error)
      else {
        const next = copyOf(item)
        copy[key] = next
        copy = next
        original = item
      }
    })
  }
  return top
}

function plainError(error: Error): { name: string; message: string } {
  return { name: error.name, message: error.message }
}
