/**
 * Answers kept for a claim whose message has not come yet: a bound on memory for answers no message asks for
 * (a message that finds its key active here never asks; its write was refused).
 */
const MAX_EARLY = 10_000

/** What JetStream answered a record written for this node: its revision, or `refused` (the record was not as expected). */
export type ClaimAck = { readonly revision: number } | 'refused'

/**
 * JetStream's answers to placement records other nodes wrote for this node
 * (see `ClusterPool`, "a first message with its record"), by the token the
 * writer named in the message it sent along. An answer and its message
 * travel apart, so either may come first: an answer waits here for its
 * message (the oldest dropped past a bound), and a message for its answer.
 */
export class ClaimAcks {
  readonly #early = new Map<string, ClaimAck>()
  readonly #waiting = new Map<string, (ack: ClaimAck) => void>()

  /** An answer for `token`, as JetStream sent it (a PubAck, or an error). */
  deliver(token: string, data: Uint8Array): void {
    const ack = readAck(data)
    const waiter = this.#waiting.get(token)
    if (waiter) return waiter(ack)
    this.#early.set(token, ack)
    if (this.#early.size > MAX_EARLY) this.#early.delete(this.#early.keys().next().value as string)
  }

  /** The answer for `token`; `lost` if none came within `timeoutMs` (the record may or may not be written). */
  take(token: string, timeoutMs: number): Promise<ClaimAck | 'lost'> {
    const early = this.#early.get(token)
    if (early !== undefined) {
      this.#early.delete(token)
      return Promise.resolve(early)
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(token)
        resolve('lost')
      }, timeoutMs)
      this.#waiting.set(token, (ack) => {
        clearTimeout(timer)
        this.#waiting.delete(token)
        resolve(ack)
      })
    })
  }
}

/** A JetStream publish answer: `{ stream, seq }`, or `{ error }` (a wrong last sequence, most likely); anything else is a refusal. */
function readAck(data: Uint8Array): ClaimAck {
  try {
    const ack = JSON.parse(new TextDecoder().decode(data)) as { seq?: unknown; error?: unknown } | null
    if (ack?.error === undefined && Number.isSafeInteger(ack?.seq) && (ack?.seq as number) > 0) return { revision: ack?.seq as number }
  } catch {
    // Not JSON: not an answer to trust.
  }
  return 'refused'
}
