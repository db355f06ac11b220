import type { IncomingMessage, ServerResponse } from 'node:http'
import { Budget, type Rate } from './budget'
import { sendJson } from './http'

/**
 * Requests a client may make. A client without a valid credential is its
 * address (every local process is one client on loopback): it gets enough
 * to load the page and open a session, a tarpit beyond. A session (or the
 * token in a header) has a budget of its own that no other client can spend.
 */
const ANONYMOUS_RATE: Rate = { burst: 60, perSecond: 20 }
const SESSION_RATE: Rate = { burst: 200, perSecond: 100 }
/** Clients tracked at once (the one unseen the longest is forgotten). */
const MAX_CLIENTS = 4096
/** Requests of one client held back at once; beyond, its connection is dropped unanswered. */
const MAX_HELD = 64
/** A request over budget waits at least this long for its 429: a client that asks again at once still asks once a second. */
const HOLD_MS = 1000

/** Lets each request in, or holds it back when its client is over budget. */
export class Admission {
  readonly #anonymous = new Budget(ANONYMOUS_RATE, MAX_CLIENTS)
  readonly #sessions = new Budget(SESSION_RATE, MAX_CLIENTS)
  readonly #held = new Set<ReturnType<typeof setTimeout>>()

  /**
   * True when the request may be served now (`client` is who it authenticated
   * as, if anyone). Otherwise it is answered 429 after a second or more (it
   * waits, and costs nothing meanwhile), or, past 64 held, its connection is
   * dropped.
   */
  admit(req: IncomingMessage, res: ServerResponse, client: string | undefined): boolean {
    const budget = client === undefined ? this.#anonymous : this.#sessions
    const key = client ?? `address ${req.socket.remoteAddress ?? ''}`
    const wait = budget.take(key)
    if (wait === 0) return true
    if (!budget.hold(key, MAX_HELD)) {
      req.socket.destroy()
      return false
    }
    const hold = Math.max(wait, HOLD_MS)
    const settle = () => {
      clearTimeout(timer)
      if (this.#held.delete(timer)) budget.release(key)
    }
    const timer = setTimeout(() => {
      settle()
      sendJson(res, 429, { error: 'too many requests: wait before the next one' }, { 'Retry-After': String(Math.ceil(hold / 1000)) })
    }, hold)
    this.#held.add(timer)
    res.once('close', settle)
    return false
  }

  /** Forgets the requests held (the server is closing their connections). */
  close(): void {
    for (const timer of this.#held) clearTimeout(timer)
    this.#held.clear()
  }
}
