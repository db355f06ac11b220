import type { ReasonRecord } from '../reports/reason'
import type { AnyBranch } from '../supervisor/Branch'
import { observe } from '../supervisor/observe'
import type { BranchSignal, SupervisorSignal } from '../supervisor/probe'
import type { Supervisor } from '../supervisor/Supervisor'
import { stopError } from '../supervisor/types'
import type { NodeKeys } from './keys'
import { reasonShower, redactSecrets } from './redaction'

/** One entry of the timeline: a crash, a restart, a transfer, a give-up. */
export interface TimelineEntry {
  /** Increases by one with each entry: what a client has seen. */
  readonly seq: number
  /** ms since the epoch. */
  readonly at: number
  readonly kind: 'crash' | 'restart' | 'transfer' | 'exit' | 'restartFailed' | 'shutdown'
  /** The key of the node it is about (a branch, or a supervisor's child when it has one). */
  readonly key: string | undefined
  /** Who it is about: the branch's id, or `supervisor/child`. */
  readonly subject: string
  readonly detail: string
  readonly reason?: ReasonRecord
}

/** The last crash of a branch, as its row shows it. */
export interface LastCrash {
  readonly at: number
  readonly incarnation: number
  readonly reason: ReasonRecord
}

const TIMELINE_LENGTH = 500
const RATE_WINDOW = 1000

interface Counter {
  total: number
  base: number
  since: number
  rate: number
}

/**
 * What the inspector learns from the probe, as it happens: the timeline
 * (the last 500 entries), each branch's last crash and its message rate.
 */
export class Activity {
  readonly #keys: NodeKeys
  readonly #now: () => number
  readonly #changed: () => void
  readonly #showReason: (reason: unknown, subject: string) => ReasonRecord
  readonly #timeline: TimelineEntry[] = []
  /** Entries not yet judged in or out of the tree shown, with the key of the node that decides. */
  readonly #pending: { entry: Omit<TimelineEntry, 'seq'>; scope: string }[] = []
  readonly #crashes = new WeakMap<AnyBranch, LastCrash>()
  readonly #counters = new WeakMap<AnyBranch, Counter>()
  #seq = 0
  readonly #stop: () => void

  /**
   * Starts observing; `changed` is called after each new event, which waits in
   * `pending` until {@link drain}. Crash reasons are kept as `showReason` makes
   * them (by default: redacted, paths relative to the working directory).
   */
  constructor(keys: NodeKeys, now: () => number, changed: () => void, showReason = reasonShower(redactSecrets, process.cwd())) {
    this.#keys = keys
    this.#now = now
    this.#changed = changed
    this.#showReason = showReason
    this.#stop = observe({
      enqueued: (branch) => this.#count(branch),
      branchEvent: (branch, signal) => this.#branchEvent(branch, signal),
      supervisorEvent: (supervisor, signal) => this.#supervisorEvent(supervisor, signal),
      transferred: (branch, from, to) => this.#add(branch, 'transfer', branch, branch.id, `moved from ${from.id} to ${to.id}`)
    })
  }

  /** Stops observing. */
  close(): void {
    this.#stop()
  }

  /**
   * Moves the events since the last drain into the timeline, those whose node
   * (the branch, or the supervisor that emitted the event) `inScope` accepts,
   * and drops the others. The inspector drains after each walk of the tree,
   * judging by the walk, so a node started since the previous walk is judged
   * by where it is now.
   */
  drain(inScope: (key: string) => boolean): void {
    for (const { entry, scope } of this.#pending.splice(0)) {
      if (!inScope(scope)) continue
      this.#timeline.push({ seq: ++this.#seq, ...entry })
      if (this.#timeline.length > TIMELINE_LENGTH) this.#timeline.shift()
    }
  }

  /** The entries after `seq` (all of them for 0), oldest first. */
  since(seq: number): readonly TimelineEntry[] {
    const first = this.#timeline.findIndex((entry) => entry.seq > seq)
    return first < 0 ? [] : this.#timeline.slice(first)
  }

  /** The last entry's seq. */
  get seq(): number {
    return this.#seq
  }

  lastCrash(branch: AnyBranch): LastCrash | undefined {
    return this.#crashes.get(branch)
  }

  /** Messages queued on `branch` per second, over the last second or so. */
  rate(branch: AnyBranch): number {
    const counter = this.#counters.get(branch)
    if (!counter) return 0
    const now = this.#now()
    const elapsed = now - counter.since
    if (elapsed >= RATE_WINDOW) {
      counter.rate = ((counter.total - counter.base) * 1000) / elapsed
      counter.base = counter.total
      counter.since = now
    }
    return counter.rate
  }

  #count(branch: AnyBranch): void {
    const counter = this.#counters.get(branch)
    if (counter) counter.total++
    else this.#counters.set(branch, { total: 1, base: 0, since: this.#now(), rate: 0 })
  }

  #branchEvent(branch: AnyBranch, signal: BranchSignal): void {
    switch (signal.event) {
      case 'crash': {
        const [{ incarnation, error, event }] = signal.args
        const reason = this.#showReason(error, branch.id)
        this.#crashes.set(branch, { at: this.#now(), incarnation, reason })
        const during = event ? ` while processing ${event.type}` : ''
        return this.#add(branch, 'crash', branch, branch.id, `worker #${incarnation} crashed${during}: ${reason.message}`, reason)
      }
      case 'restart': {
        const [{ incarnation, restartsInWindow }] = signal.args
        return this.#add(branch, 'restart', branch, branch.id, `worker #${incarnation} started from the kept state (${restartsInWindow} in the window)`)
      }
      case 'stop': {
        const [reason] = signal.args
        if (reason.kind !== 'failure') return
        const shown = this.#showReason(reason.error, branch.id)
        return this.#add(branch, 'exit', branch, branch.id, `gave up: ${shown.message}`, shown)
      }
    }
  }

  #supervisorEvent(supervisor: Supervisor, signal: SupervisorSignal): void {
    const child = (childId: string) => supervisor.whichChildren().find((c) => c.id === childId)?.child
    switch (signal.event) {
      case 'restart': {
        const [{ childId, restarts }] = signal.args
        return this.#add(supervisor, 'restart', child(childId), `${supervisor.id}/${childId}`, `restarted by ${supervisor.id} (${restarts} so far)`)
      }
      case 'restartFailed': {
        const [{ childId, error }] = signal.args
        const reason = this.#showReason(error.cause ?? error, supervisor.id)
        return this.#add(supervisor, 'restartFailed', child(childId), `${supervisor.id}/${childId}`, `restart failed: ${reason.message}`, reason)
      }
      case 'shutdown': {
        const error = stopError(signal.args[0])
        if (!error) return
        const shown = this.#showReason(error, supervisor.id)
        return this.#add(supervisor, 'shutdown', supervisor, supervisor.id, `gave up: ${shown.message}`, shown)
      }
    }
  }

  #add(scope: object, kind: TimelineEntry['kind'], node: object | undefined, subject: string, detail: string, reason?: ReasonRecord): void {
    const entry = { at: this.#now(), kind, key: node && this.#keys.of(node), subject, detail, ...(reason ? { reason } : {}) }
    this.#pending.push({ entry, scope: this.#keys.of(scope) })
    // Undrained (no walk for a while): keep the newest, as the timeline does.
    if (this.#pending.length > TIMELINE_LENGTH) this.#pending.shift()
    this.#changed()
  }
}
