import type { Snapshot } from 'xstate'
import { deepFreeze } from './freeze'
import { Tables } from './Tables'

/**
 * Holds a branch's last good state: the snapshot after the last message its
 * worker processed without crashing, plus the branch's tables. It does not
 * share the worker's fate: a crash never resets it, and it takes a state only
 * from the one incarnation it was opened for, so a late report from a dead
 * worker can never overwrite newer state.
 *
 * States are deep-frozen, stopping at already-frozen subtrees, so a
 * structurally shared update only freezes what is new. A state handed to a
 * listener or read through `state()` can't be mutated into the worker behind
 * its back, and a worker that mutates its state in place fails (and restarts)
 * instead of changing what the keeper holds.
 */
export class Keeper {
  readonly tables: Tables
  #snapshot: Snapshot<unknown> | undefined
  #writer: number | undefined
  /**
   * The kept state, when the walk that froze it entered it as data (see `deepFreeze`); else
   * undefined. The state itself, not a flag: a snapshot object may have its context swapped in
   * place, so what it holds now is not what was walked.
   */
  #walked: object | undefined

  /** A keeper of `tables` (new, empty ones unless a branch brings its own). */
  constructor(tables: Tables = new Tables()) {
    this.tables = tables
  }

  /** Lets `incarnation`, and only it, write from now on. */
  open(incarnation: number): void {
    this.#writer = incarnation
  }

  /** Lets nobody write (the writer died, or the branch stopped). */
  close(): void {
    this.#writer = undefined
  }

  /**
   * Keeps `snapshot` if `incarnation` is the open writer. Returns false (and
   * keeps nothing) for anyone else. Throws `UnkeepableStateError`, keeping
   * nothing, when the state can't be read to be frozen (a getter or a proxy
   * trap in it throws).
   */
  accept(incarnation: number, snapshot: Snapshot<unknown>): boolean {
    if (incarnation !== this.#writer) return false
    // The same state again (an event that changed nothing) ends the walk at once; a context swapped in
    // place in the same snapshot is a new state. Read in place, not through stateOf: this runs for every
    // message, and a smaller accept keeps the worker's observer inlined into xstate's update.
    const state = (snapshot as { context?: unknown }).context
    this.#walked = deepFreeze(state, this.#walked)
    this.#snapshot = snapshot
    return true
  }

  /** The last good snapshot, or undefined before the first one. */
  get snapshot(): Snapshot<unknown> | undefined {
    return this.#snapshot
  }

  /** The last good state: the snapshot's context (a machine's context, a reducer's state). */
  get state(): unknown {
    return this.#snapshot && stateOf(this.#snapshot)
  }
}

/** The state a snapshot holds: its context (a machine's context, a reducer's state). */
export function stateOf(snapshot: Snapshot<unknown>): unknown {
  return (snapshot as { context?: unknown }).context
}
