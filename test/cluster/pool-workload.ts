import type { ClusterPool } from '../../src/cluster'

/**
 * The callers of pool-churn.test.ts, run inside a node process
 * (node-process.ts's `workload` op) on the cluster pool of the journal logic.
 * Each caller makes one call at a time, never retried, each an `add` with an
 * id of its own (`<node>.<caller>#<seq>`, seq counting its calls from 0), so
 * that every key's journal read back from the store can be checked against
 * what was acknowledged: each acknowledged id there once, and each caller's
 * ids in the order it sent them (pool-ledger.ts).
 */
export interface WorkloadPlan {
  /** The node the callers run on (the first part of their ids). */
  readonly node: string
  /** Callers on this node, each one call at a time. */
  readonly callers: number
  /** The pool's keys are `key-0` ... `key-<keys - 1>`. */
  readonly keys: number
  /**
   * Caller `c` walks, round after round, the keys `k` with
   * `k % (shards * callers) === shard * callers + c`: with `shards` nodes
   * each given its own `shard`, the first round touches every key once.
   */
  readonly shard: number
  readonly shards: number
  /** Every `hotEvery`-th call goes to one of the `hot` first keys instead (each caller walking them from its own offset). */
  readonly hot: number
  readonly hotEvery: number
  /** Each call's timeout, ms. */
  readonly timeout: number
}

/** One acknowledged call: the caller's index on its node, the key's number, the call's seq. */
export type Ack = readonly [caller: number, key: number, seq: number]

/** A caller's counts once stopped: every call it sent was acknowledged or failed (none left in flight). */
export interface CallerCounts {
  readonly sent: number
  readonly acked: number
  readonly failed: number
}

/** What `stop` answers. */
export interface WorkloadOutcome {
  readonly callers: readonly CallerCounts[]
  /** Failed calls by error class, each with the message of its first. */
  readonly errors: Record<string, { count: number; first: string }>
}

/** A running workload. */
export interface Workload {
  /** Stops the callers once each one's call in flight has settled; reports the acknowledgements not reported yet, then answers. */
  stop(): Promise<WorkloadOutcome>
  /** The failed calls so far, by class. */
  errors(): WorkloadOutcome['errors']
}

/** How often acknowledgements are reported (a SIGKILL loses at most the last such while of them: they are then only unverified). */
const REPORT_EVERY_MS = 100
/** The pause after a failed call (a call refused at once must not spin). */
const AFTER_FAILURE_MS = 25

/** The id of caller `caller` of `node`'s call `seq`. */
export const callId = (node: string, caller: number, seq: number): string => `${node}.${caller}#${seq}`

/** Starts the callers; `report` is given the acknowledgements made since it was last called, every 100 ms. */
export function startWorkload(pool: ClusterPool, plan: WorkloadPlan, report: (acks: Ack[]) => void): Workload {
  let running = true
  let unreported: Ack[] = []
  const errors: Record<string, { count: number; first: string }> = {}
  const flush = () => {
    if (unreported.length === 0) return
    report(unreported)
    unreported = []
  }
  const timer = setInterval(flush, REPORT_EVERY_MS)
  const stride = plan.shards * plan.callers

  const caller = async (c: number): Promise<CallerCounts> => {
    const counts = { sent: 0, acked: 0, failed: 0 }
    const own = plan.shard * plan.callers + c
    let cold = own
    let hot = Math.floor((c * plan.hot) / plan.callers)
    for (let seq = 0; running; seq++) {
      let key: number
      if (plan.hot > 0 && seq % plan.hotEvery === plan.hotEvery - 1) key = hot++ % plan.hot
      else {
        key = cold
        cold += stride
        if (cold >= plan.keys) cold = own
      }
      counts.sent++
      try {
        await pool.call(`key-${key}`, { type: 'add', id: callId(plan.node, c, seq) }, { timeout: plan.timeout })
        counts.acked++
        unreported.push([c, key, seq])
      } catch (error) {
        counts.failed++
        const name = error instanceof Error ? error.name : 'Error'
        errors[name] ??= { count: 0, first: error instanceof Error ? error.message : String(error) }
        errors[name].count++
        await new Promise((resolve) => setTimeout(resolve, AFTER_FAILURE_MS))
      }
    }
    return counts
  }

  const callers = Promise.all(Array.from({ length: plan.callers }, (_, c) => caller(c)))
  return {
    errors: () => errors,
    async stop() {
      running = false
      const counts = await callers
      clearInterval(timer)
      flush()
      return { callers: counts, errors }
    }
  }
}
