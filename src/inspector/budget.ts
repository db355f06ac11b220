/** How many requests a client may make: `burst` at once, then `perSecond`. */
export interface Rate {
  readonly burst: number
  readonly perSecond: number
}

interface Bucket {
  tokens: number
  at: number
  /** Requests held until the bucket refills. */
  held: number
}

/**
 * A token bucket per client (an address, a session), for at most `maxClients`
 * clients at once (the one unseen the longest is forgotten first), so a flood
 * of clients costs bounded memory.
 */
export class Budget {
  readonly #buckets = new Map<string, Bucket>()
  readonly #rate: Rate
  readonly #maxClients: number
  readonly #now: () => number

  constructor(rate: Rate, maxClients: number, now: () => number = Date.now) {
    this.#rate = rate
    this.#maxClients = maxClients
    this.#now = now
  }

  /** Takes one request from `client`'s budget: 0 if it may go now, else the ms until it may. */
  take(client: string): number {
    const now = this.#now()
    const bucket = this.#bucket(client, now)
    bucket.tokens = Math.min(this.#rate.burst, bucket.tokens + ((now - bucket.at) * this.#rate.perSecond) / 1000)
    bucket.at = now
    if (bucket.tokens >= 1) {
      bucket.tokens--
      return 0
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.#rate.perSecond)
  }

  /** Counts a request of `client` held back; false when it already has `max` held (refuse it outright). */
  hold(client: string, max: number): boolean {
    const bucket = this.#bucket(client, this.#now())
    if (bucket.held >= max) return false
    bucket.held++
    return true
  }

  /** A held request of `client` was answered. */
  release(client: string): void {
    const bucket = this.#buckets.get(client)
    if (bucket && bucket.held > 0) bucket.held--
  }

  #bucket(client: string, now: number): Bucket {
    let bucket = this.#buckets.get(client)
    if (bucket) {
      // Most recently seen last: the first one is the one to forget.
      this.#buckets.delete(client)
    } else {
      bucket = { tokens: this.#rate.burst, at: now, held: 0 }
      const oldest = this.#buckets.keys().next()
      if (this.#buckets.size >= this.#maxClients && !oldest.done) this.#buckets.delete(oldest.value)
    }
    this.#buckets.set(client, bucket)
    return bucket
  }
}
