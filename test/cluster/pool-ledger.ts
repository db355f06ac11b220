import type { Ack } from './pool-workload'
import { callId } from './pool-workload'

/** What `Ledger.check` found. */
export interface LedgerCheck {
  /** One sentence per thing wrong; empty if nothing is. */
  readonly problems: string[]
  /** Acknowledged ids found (each exactly once, where it was sent). */
  readonly found: number
  /** Ids found that no acknowledgement reported: calls that failed (e.g. timed out) yet were applied, or acks a killed node never reported. */
  readonly unacknowledged: number
}

/**
 * The acknowledged calls of pool-churn.test.ts's callers (pool-workload.ts),
 * as their nodes report them, and the check of the journals read back from
 * the store against them: every acknowledged update present exactly once, in
 * the journal of the key it was sent to; no id anywhere twice; each caller's
 * ids in each journal in the order it sent them (its calls are one at a time,
 * so one that failed and was applied late would show up out of order).
 */
export class Ledger {
  /** Key number -> the ids acknowledged for it. */
  readonly #acked = new Map<number, Set<string>>()
  /** Key number -> when (Date.now()) its last acknowledgement was recorded here. */
  readonly #lastAck = new Map<number, number>()
  /** Caller (`<node>.<index>`) -> its acknowledgements recorded. */
  readonly #perCaller = new Map<string, number>()
  #total = 0

  /** Records `node`'s acknowledgements (an `{ acks }` message of its workload). */
  record(node: string, acks: readonly Ack[]): void {
    const now = Date.now()
    for (const [caller, key, seq] of acks) {
      let ids = this.#acked.get(key)
      if (!ids) this.#acked.set(key, (ids = new Set()))
      ids.add(callId(node, caller, seq))
      this.#lastAck.set(key, now)
      const who = `${node}.${caller}`
      this.#perCaller.set(who, (this.#perCaller.get(who) ?? 0) + 1)
      this.#total++
    }
  }

  /** How many keys have an acknowledged update. */
  keysAcknowledged(): number {
    return this.#acked.size
  }

  /** Acknowledgements recorded in all. */
  total(): number {
    return this.#total
  }

  /** Acknowledgements recorded of caller `index` of `node`. */
  ofCaller(node: string, index: number): number {
    return this.#perCaller.get(`${node}.${index}`) ?? 0
  }

  /** Whether key number `key` had an acknowledgement recorded at `since` or later. */
  ackedSince(key: number, since: number): boolean {
    return (this.#lastAck.get(key) ?? -Infinity) >= since
  }

  /** Checks `journals` (key number -> the ids of its `add` events, in journal order) for keys 0 ... `keys - 1`. */
  check(journals: ReadonlyMap<number, readonly string[]>, keys: number): LedgerCheck {
    const problems: string[] = []
    const where = new Map<string, number>()
    let found = 0
    let unacknowledged = 0
    for (let key = 0; key < keys; key++) {
      const ids = journals.get(key) ?? []
      const acked = this.#acked.get(key) ?? new Set<string>()
      const lastSeq = new Map<string, number>()
      for (const id of ids) {
        const twice = where.get(id)
        if (twice !== undefined) problems.push(`${id} is in the journal of key-${twice} and again in key-${key}'s`)
        where.set(id, key)
        const parsed = /^(\w+\.\d+)#(\d+)$/.exec(id)
        if (!parsed) {
          problems.push(`key-${key}'s journal holds ${JSON.stringify(id)}, which no caller sent`)
          continue
        }
        const [, caller, seqText] = parsed as unknown as [string, string, string]
        const seq = Number(seqText)
        const before = lastSeq.get(caller)
        if (before !== undefined && seq <= before) problems.push(`key-${key}'s journal holds ${caller}'s call ${seq} after its call ${before}`)
        lastSeq.set(caller, seq)
        if (acked.has(id)) found++
        else unacknowledged++
      }
      if (ids.length === 0) problems.push(`key-${key} has no update in its journal`)
      const present = new Set(ids)
      for (const id of acked) if (!present.has(id)) problems.push(`${id}, acknowledged, is not in key-${key}'s journal`)
    }
    return { problems, found, unacknowledged }
  }
}
