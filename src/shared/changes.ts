import type { AnyActorLogic, Snapshot } from 'xstate'

/**
 * A state crosses between an isolated worker and its parent, or goes to a
 * durable store (`durable.compactEvery`), as what changed since the state
 * sent before, not whole: one side finds the change, the other applies it to
 * the state it holds. xstate updates a context without
 * touching what did not change (an `assign` copies the objects along the path
 * it writes), so the walk compares by identity and enters only what is new;
 * its cost follows the change and the breadth of the objects along its path,
 * not the size of the state. Plain objects and arrays are entered; any other
 * value that is not the same one (a Map, a Date, a class instance) is sent
 * whole.
 */

/** Where a change is, from the root: object keys and array indices. */
export type ChangePath = readonly (string | number)[]

/**
 * One change: `['s', path, value]` sets the value at `path` (an empty path
 * replaces the root), `['d', path]` deletes the key at `path`, `['l', path,
 * length]` cuts the array at `path` to `length`.
 */
export type Change =
  | readonly [op: 's', path: ChangePath, value: unknown]
  | readonly [op: 'd', path: ChangePath]
  | readonly [op: 'l', path: ChangePath, length: number]

/**
 * The changes that turn `before` into `after` (none when they are the same).
 * An array whose entries changed for more than half is sent whole: an insert
 * near its front shifts everything after it, and one value is cheaper to send
 * than a change for each entry.
 */
export function diffState(before: unknown, after: unknown): Change[] {
  const changes: Change[] = []
  walk(before, after, [], changes)
  return changes
}

function walk(before: unknown, after: unknown, path: (string | number)[], changes: Change[]): void {
  if (Object.is(before, after)) return
  if (Array.isArray(before) && Array.isArray(after)) return walkArray(before, after, path, changes)
  if (isPlainObject(before) && isPlainObject(after)) return walkObject(before, after, path, changes)
  changes.push(['s', path.slice(), after])
}

function walkObject(before: Record<string, unknown>, after: Record<string, unknown>, path: (string | number)[], changes: Change[]): void {
  for (const key in after) {
    path.push(key)
    if (Object.hasOwn(before, key)) walk(before[key], after[key], path, changes)
    else changes.push(['s', path.slice(), after[key]])
    path.pop()
  }
  for (const key in before) {
    if (Object.hasOwn(after, key)) continue
    path.push(key)
    changes.push(['d', path.slice()])
    path.pop()
  }
}

function walkArray(before: readonly unknown[], after: readonly unknown[], path: (string | number)[], changes: Change[]): void {
  const start = changes.length
  const limit = after.length / 2 + 1
  const common = Math.min(before.length, after.length)
  let changed = after.length - common
  if (changed > limit) return sendWhole(after, path, changes, start)
  for (let i = 0; i < common; i++) {
    if (before[i] === after[i]) continue
    if (++changed > limit) return sendWhole(after, path, changes, start)
    path.push(i)
    walk(before[i], after[i], path, changes)
    path.pop()
  }
  for (let i = common; i < after.length; i++) changes.push(['s', [...path, i], after[i]])
  if (after.length < before.length) changes.push(['l', path.slice(), after.length])
}

/** Drops the changes found under `path` since `start`: its value goes whole. */
function sendWhole(after: unknown, path: (string | number)[], changes: Change[], start: number): void {
  changes.length = start
  changes.push(['s', path.slice(), after])
}

/**
 * `base` with `changes` applied, copying the containers along their paths and
 * sharing the rest: `base` (frozen, in a keeper) is never written. Throws when
 * a path goes through something that is not an object or an array: the
 * changes were not made from this base.
 */
export function applyChanges(base: unknown, changes: readonly Change[]): unknown {
  // Containers this call copied: the changes after the first write them in place (a single change, most often, needs no record).
  const copied = changes.length > 1 ? new Set<object>() : undefined
  const writable = (value: unknown, path: ChangePath): Record<string | number, unknown> => {
    if (typeof value !== 'object' || value === null) throw new Error(`the path ${JSON.stringify(path)} goes through ${value === null ? 'null' : typeof value}`)
    if (copied?.has(value)) return value as Record<string | number, unknown>
    const copy = Array.isArray(value) ? value.slice() : { ...value }
    copied?.add(copy)
    return copy as Record<string | number, unknown>
  }
  let root = base
  for (const change of changes) {
    const [op, path] = change
    if (op === 's' && path.length === 0) {
      root = change[2]
      continue
    }
    if (op === 'd' && path.length === 0) throw new Error('a deletion of the root')
    root = writable(root, path)
    // A cut changes the array at its path; a set or a deletion, the container above it.
    let target = root as Record<string | number, unknown>
    for (let i = 0; i < (op === 'l' ? path.length : path.length - 1); i++) {
      const key = path[i] as string | number
      const child = writable(target[key], path)
      put(target, key, child)
      target = child
    }
    if (op === 'l') {
      if (!Array.isArray(target)) throw new Error(`the path ${JSON.stringify(path)} is not an array`)
      target.length = change[2]
    } else if (op === 'd') delete target[path[path.length - 1] as string | number]
    else put(target, path[path.length - 1] as string | number, change[2])
  }
  return root
}

/** Sets an own property, `__proto__` too (an assignment to it would set the prototype instead). */
function put(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  else target[key] = value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A state as {@link StateChanges} takes it: a context, when its logic has one. */
type WithContext = Snapshot<unknown> & { context?: unknown }

/** No context taken yet (the first changes replace it whole). */
const NOTHING_TAKEN: unique symbol = Symbol('nothing taken')

/**
 * Takes a logic's states one after another as xstate's persisted form
 * without the context, plus the changes of the context since the state taken
 * before (the first: the whole context, as a set of the root).
 *
 * A machine's whole persisted form would cost a walk of the whole context
 * (xstate swaps the actors it holds for their ids): for live states of a
 * machine the live contexts are compared instead, and only the values that
 * changed are persisted, by the machine's own `getPersistedSnapshot` given
 * those values as the context. Other logic is persisted whole and its
 * persisted contexts compared; states that are persisted already (`persisted`)
 * are compared as they are.
 */
export class StateChanges {
  readonly #logic: AnyActorLogic
  readonly #machine: boolean
  readonly #persisted: boolean
  #last: unknown = NOTHING_TAKEN
  /** A machine's live state taken last, and its persisted form: reused while only the context changes. */
  #lastState: MachineState | undefined
  #lastPersisted: WithContext | undefined

  constructor(logic: AnyActorLogic, persisted = false) {
    this.#logic = logic
    this.#machine = !persisted && typeof (logic as { getStateNodeById?: unknown }).getStateNodeById === 'function'
    this.#persisted = persisted
  }

  /** The changes taken next are from `context` (a state the other side holds already). */
  from(context: unknown): void {
    this.#last = context
  }

  /**
   * `snapshot` persisted without its context, and its context's changes since the state taken
   * before (none for logic without a context). `same`: the persisted form is the one returned
   * before (the same object): only the context changed.
   */
  take(snapshot: Snapshot<unknown>): { persisted: Snapshot<unknown>; context: Change[] | undefined; same: boolean } {
    const live = snapshot as WithContext
    if (!this.#machine) {
      const whole = (this.#persisted ? snapshot : this.#logic.getPersistedSnapshot(snapshot)) as WithContext
      if (!('context' in whole)) return { persisted: whole, context: undefined, same: false }
      return { persisted: { ...whole, context: undefined } as WithContext, context: this.#changes(whole.context), same: false }
    }
    const context = this.#changes(live.context)
    const values = context.map((change) => (change[0] === 's' ? change[2] : undefined))
    const previous = this.#lastState
    this.#lastState = snapshot as MachineState
    // Most events of a machine only assign: its persisted form but the context is the one taken before.
    if (this.#lastPersisted && previous && onlyContextChanged(previous, snapshot as MachineState) && values.every(isPrimitive)) {
      return { persisted: this.#lastPersisted, context, same: true }
    }
    const persisted = this.#logic.getPersistedSnapshot({ ...live, context: values } as WithContext) as WithContext
    const persistedValues = persisted.context as unknown[]
    persisted.context = undefined
    this.#lastPersisted = persisted
    if (persistedValues === values) return { persisted, context, same: false }
    return { persisted, context: context.map((change, i) => (change[0] === 's' ? ['s', change[1], persistedValues[i]] : change)), same: false }
  }

  /** What changed from the context taken last to `context`, which becomes it. */
  #changes(context: unknown): Change[] {
    const changes = this.#last === NOTHING_TAKEN ? [['s', [], context] as const] : diffState(this.#last, context)
    this.#last = context
    return changes
  }
}

/** What of a machine's live state its persisted form is made of, besides the context (xstate's `createMachineSnapshot`). */
interface MachineState {
  readonly _nodes?: unknown
  readonly historyValue?: unknown
  readonly status?: unknown
  readonly output?: unknown
  readonly error?: unknown
  readonly children?: Record<string, unknown>
}

/**
 * Whether `after`'s persisted form but its context is `before`'s: the same state nodes (its value
 * is made from them), history, status, output and error, and no children (whose own states
 * change without the machine's). xstate keeps each of these the same object when an event
 * only assigns; anything else is persisted again.
 */
function onlyContextChanged(before: MachineState, after: MachineState): boolean {
  return (
    Array.isArray(after._nodes) &&
    after._nodes === before._nodes &&
    after.historyValue === before.historyValue &&
    after.status === before.status &&
    after.output === before.output &&
    after.error === before.error &&
    after.children === before.children &&
    isEmpty(after.children)
  )
}

function isEmpty(children: Record<string, unknown> | undefined): boolean {
  for (const _ in children) return false
  return true
}

/** A value persisting leaves as it is (xstate swaps only actor refs, which are objects). */
function isPrimitive(value: unknown): boolean {
  return typeof value !== 'object' || value === null
}
