import type { EventObject, Snapshot } from 'xstate'
import type { Clock } from '../shared/clock'
import { RecoveryError } from '../shared/errors'
import type { Durability } from '../keeper/durable/Durability'
import type { ActivationMark } from '../keeper/durable/journal'
import type { ResumePoint } from '../worker/restorePoint'
import type { Call } from './Call'

/** What a durable branch's commits tell it. */
export interface CommitHooks {
  /** The write delivery waited for is done: queued messages may go on. */
  unblocked(): void
  /**
   * A write failed: the worker is ahead of what is durable. The branch lets it
   * go (with what it was processing and the calls waiting on it); the state is
   * read back from the store meanwhile.
   */
  lost(error: unknown): void
  /** The state was read back after a failed write (undefined: the store holds nothing). */
  recovered(stored: ResumePoint | undefined): void
  /** What the store holds can't be brought back (damaged or unusable): waiting won't heal it. */
  unrecoverable(error: RecoveryError): void
}

/** A write delivery waits for (sync durability), and the replies given from the state it makes durable. */
interface Blocking {
  readonly commit: Promise<void>
  /** Each call, then the value it gets: they go out in the write's own reaction, after delivery is unblocked. */
  replies: unknown[] | undefined
}

/** The first and the longest wait between two attempts to read the state back, in ms. */
const FIRST_RETRY_MS = 100
const LONGEST_RETRY_MS = 5000

/**
 * The commit bookkeeping of a durable branch: the write that makes the state
 * just kept durable (which the calls answered from that state wait for), the
 * write delivery waits on with sync durability, and, after a write failed,
 * reading the state back from the store, retrying while the store is down.
 */
export class Commits {
  readonly #durability: Durability
  readonly #hooks: CommitHooks
  readonly #clock: Clock
  readonly #input: unknown
  /** The write of the state the current message left (cleared before each delivery). */
  #current: Promise<void> | undefined
  /** With sync durability, delivery waits for this write. */
  #blocking: Promise<void> | undefined
  /** With sync durability, the newest write awaited, while it is in flight: the replies it holds back. */
  #newest: Blocking | undefined
  /** Set while the state is read back from the store after a failed write. */
  #recovering: { timer: unknown } | undefined
  /** Set once the branch stopped: nothing more is recovered. */
  #closed = false

  constructor(durability: Durability, hooks: CommitHooks, clock: Clock, input: unknown) {
    this.#durability = durability
    this.#hooks = hooks
    this.#clock = clock
    this.#input = input
  }

  /** The write of the state the current message left, if it made one: calls answered from that state wait for it. */
  get current(): Promise<void> | undefined {
    return this.#current
  }

  /** True while delivery waits for a write (sync durability). */
  get blocking(): boolean {
    return this.#blocking !== undefined
  }

  /** True while the state is read back from the store after a failed write. */
  get recovering(): boolean {
    return this.#recovering !== undefined
  }

  /** A message is about to be delivered: it has made no write yet. */
  startMessage(): void {
    this.#current = undefined
  }

  /** `snapshot`, which `event` left, was kept: make it durable (no event: an incarnation's first state, brought back, is not news). */
  record(event: EventObject | undefined, snapshot: Snapshot<unknown>): void {
    this.#current = event && this.#durability.record(event, snapshot)
    if (this.#current) this.#await(this.#current)
  }

  /** Writes an activation marker (`Durability.mark`) for the state `snapshot`, before any message is delivered. */
  mark(mark: ActivationMark, tag: string, snapshot: Snapshot<unknown>): Promise<number> {
    return this.#durability.mark(mark, tag, snapshot)
  }

  /** A `callAll` batch starts: what is recorded until it ends is written all or none. */
  openBatch(): void {
    this.#durability.openBatch()
  }

  /**
   * The batch was processed: write it in one go. Each of its records got the batch's write as
   * theirs (`Durability.record`), so it is `current` and awaited already.
   */
  closeBatch(): void {
    this.#durability.closeBatch()
  }

  /** The batch crashed or was taken back: nothing of it is written. */
  abortBatch(): void {
    this.#durability.abortBatch()
  }

  /** Resolves once every write queued so far has ended, well or not. */
  settled(): Promise<void> {
    return this.#durability.settled()
  }

  /** The branch stopped: a pending read-back stops, and a write failing now changes nothing. */
  close(): void {
    this.#closed = true
    if (this.#recovering) this.#clock.clearTimeout(this.#recovering.timer)
  }

  /**
   * Resolves `call` with `value` once `commit` is done (rejects it if that fails), and says so; false
   * when `commit` is not the newest write awaited (batched durability, or one that landed already).
   * The reply goes out in the reaction that unblocks delivery, right after that, instead of in a
   * reaction of its own: one promise reaction less on every sync durable call.
   */
  replyAfter(commit: Promise<void>, call: Call, value: unknown): boolean {
    const newest = this.#newest
    if (newest === undefined || newest.commit !== commit) return false
    if (newest.replies) newest.replies.push(call, value)
    else newest.replies = [call, value]
    return true
  }

  /** A write is under way: with sync durability, delivery waits for it; if it fails, recover. */
  #await(commit: Promise<void>): void {
    if (this.#durability.config.durability !== 'sync') return void commit.then(undefined, this.#failed)
    this.#blocking = commit
    const newest: Blocking = { commit, replies: undefined }
    this.#newest = newest
    commit.then(
      () => {
        if (this.#newest === newest) this.#newest = undefined
        try {
          if (this.#blocking !== commit) return
          this.#blocking = undefined
          this.#hooks.unblocked()
        } finally {
          const replies = newest.replies
          if (replies) for (let i = 0; i < replies.length; i += 2) (replies[i] as Call).resolve(replies[i + 1])
        }
      },
      (error: unknown) => {
        if (this.#newest === newest) this.#newest = undefined
        try {
          this.#failed(error)
        } finally {
          const replies = newest.replies
          if (replies) for (let i = 0; i < replies.length; i += 2) (replies[i] as Call).reject(error)
        }
      }
    )
  }

  /**
   * A write failed: the branch lets the worker go and the state is read back
   * from the store; messages wait meanwhile, bounded by their own timeouts.
   * (Made once: every write's failure comes here.)
   */
  readonly #failed = (error: unknown): void => {
    if (this.#recovering || this.#closed) return
    this.#recovering = { timer: undefined }
    this.#blocking = undefined
    this.#hooks.lost(error)
    void this.#recover(FIRST_RETRY_MS)
  }

  async #recover(retryMs: number): Promise<void> {
    let stored: ResumePoint | undefined
    try {
      stored = await this.#durability.recover(this.#input)
    } catch (error) {
      // Damaged or unusable stored data won't heal by waiting: the branch fails as its start would.
      if (error instanceof RecoveryError) return this.#hooks.unrecoverable(error)
      if (!this.#closed && this.#recovering) {
        this.#recovering.timer = this.#clock.setTimeout(() => void this.#recover(Math.min(retryMs * 2, LONGEST_RETRY_MS)), retryMs)
      }
      return
    }
    if (this.#closed) return
    this.#recovering = undefined
    this.#hooks.recovered(stored)
  }
}
