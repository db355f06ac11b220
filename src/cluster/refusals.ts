import type { Clock } from '../shared/clock'
import type { ClusterLogger } from './options'

/** How long a period of refusals lasts. */
export const REFUSAL_PERIOD_MS = 10_000
/** Refusals logged one by one in a period, with their details; the rest are counted for its summary. */
export const REFUSALS_LOGGED = 20
/** Distinct reasons a summary counts apart (a sender chooses them); the others are counted together. */
export const REASONS_COUNTED = 10
const OTHER_REASONS = '(other reasons)'

/** A network message a node refused. */
export interface Refusal {
  readonly subject: string
  readonly bytes: number
  readonly reason: string
}

/**
 * Logs the messages a node refuses without letting whoever sends them flood
 * the log: a period starts at a refusal; its first {@link REFUSALS_LOGGED}
 * are logged one by one, the others counted, by reason, and logged as one
 * summary when the period ends. So a flood costs at most
 * `REFUSALS_LOGGED + 1` warnings every {@link REFUSAL_PERIOD_MS}.
 */
export class RefusalLog {
  readonly #logger: ClusterLogger
  readonly #clock: Clock
  readonly #node: string
  /** The running period's end, if one runs. */
  #timer: unknown
  #logged = 0
  #counted = 0
  readonly #reasons = new Map<string, number>()

  constructor(logger: ClusterLogger, clock: Clock, node: string) {
    this.#logger = logger
    this.#clock = clock
    this.#node = node
  }

  /** Reports one refused message. */
  refused(refusal: Refusal): void {
    this.#timer ??= this.#clock.setTimeout(() => this.#endPeriod(), REFUSAL_PERIOD_MS)
    if (this.#logged < REFUSALS_LOGGED) {
      this.#logged++
      this.#logger.warn({ node: this.#node, subject: refusal.subject, bytes: refusal.bytes, reason: refusal.reason }, 'keepsake cluster: refused a message')
      return
    }
    this.#counted++
    const reason = this.#reasons.has(refusal.reason) || this.#reasons.size < REASONS_COUNTED ? refusal.reason : OTHER_REASONS
    this.#reasons.set(reason, (this.#reasons.get(reason) ?? 0) + 1)
  }

  /** Ends the running period now (the node stops): its summary is logged, no timer is left. */
  close(): void {
    if (this.#timer === undefined) return
    this.#clock.clearTimeout(this.#timer)
    this.#endPeriod()
  }

  #endPeriod(): void {
    this.#timer = undefined
    if (this.#counted > 0) {
      const seconds = REFUSAL_PERIOD_MS / 1000
      this.#logger.warn(
        { node: this.#node, refused: this.#counted, periodMs: REFUSAL_PERIOD_MS, reasons: Object.fromEntries(this.#reasons) },
        `keepsake cluster: refused ${this.#counted} more messages within ${seconds} s (after ${this.#logged} logged one by one)`
      )
    }
    this.#logged = 0
    this.#counted = 0
    this.#reasons.clear()
  }
}
