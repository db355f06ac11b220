import { freeze } from 'immer'
import type { Snapshot } from 'xstate'
import { Tables } from './Tables'

/**
 * Holds a branch's last good state: the snapshot after the last message its
 * worker processed without crashing, plus the branch's tables. It does not
 * share the worker's fate: a crash never resets it, and it takes a state only
 * from the one incarnation it was opened for, so a late report from a dead
 * worker can never overwrite newer state.
 *
 * States are deep-frozen (immer's `freeze`, which stops at already-frozen
 * subtrees, so a structurally shared update only freezes what is new). A state
 * handed to a listener or read through `state()` can't be mutated into the
 * worker behind its back.
 */
export class Keeper {
  readonly tables = new Tables()
  #snapshot: Snapshot<unknown> | undefined
  #writer: number | undefined

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
   * keeps nothing) for anyone else.
   */
  accept(incarnation: number, snapshot: Snapshot<unknown>): boolean {
    if (incarnation !== this.#writer) return false
    if (snapshot !== this.#snapshot) {
      freeze((snapshot as { context?: unknown }).context, true)
      this.#snapshot = snapshot
    }
    return true
  }

  /** The last good snapshot, or undefined before the first one. */
  get snapshot(): Snapshot<unknown> | undefined {
    return this.#snapshot
  }

  /** The last good state: the snapshot's context (a machine's context, a reducer's state). */
  get state(): unknown {
    return (this.#snapshot as { context?: unknown } | undefined)?.context
  }
}
