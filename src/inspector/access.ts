import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { tokenChecker } from './token'

/** Sessions at once: a new one ends the one used the longest ago. */
const MAX_SESSIONS = 16
/** A session ends this long after it was opened, used or not. */
const SESSION_LIFETIME = 24 * 60 * 60 * 1000

interface Session {
  readonly client: string
  readonly until: number
}

/**
 * Who may read and act: with a token, a request must carry it
 * (`Authorization: Bearer <token>`) or a session cookie, which a request that
 * carries it opens (HttpOnly, SameSite=Strict, never in a URL). Without a
 * token, anyone who reaches the port (loopback only) may read.
 */
export class Access {
  /** True when a token is configured: every data route needs it. */
  readonly required: boolean
  readonly #checkToken: ((header: string | undefined) => boolean) | undefined
  readonly #cookie: string
  readonly #now: () => number
  readonly #ended: (client: string) => void
  /** By the SHA-256 of the cookie's value, so the lookup says nothing of the value. */
  readonly #sessions = new Map<string, Session>()

  /** `ended` is told of each session that ends (its streams should end with it). */
  constructor(token: string | undefined, cookieName: string, ended: (client: string) => void, now: () => number = Date.now) {
    this.required = token !== undefined
    this.#checkToken = token === undefined ? undefined : tokenChecker(token)
    this.#cookie = cookieName
    this.#ended = ended
    this.#now = now
  }

  /** The client a request authenticates as (`bearer`, or `session:...`), or undefined when it carries no valid credential. */
  identify(req: IncomingMessage): string | undefined {
    if (!this.#checkToken) return undefined
    const { authorization } = req.headers
    if (authorization !== undefined) return this.#checkToken(authorization) ? 'bearer' : undefined
    const value = readCookie(req.headers.cookie, this.#cookie)
    if (value === undefined) return undefined
    const key = digest(value)
    const session = this.#sessions.get(key)
    if (!session) return undefined
    if (session.until <= this.#now()) {
      this.#end(key, session)
      return undefined
    }
    // Used last: the last to go when the sessions are full.
    this.#sessions.delete(key)
    this.#sessions.set(key, session)
    return session.client
  }

  /** Opens a session for a request that carried the token: the `Set-Cookie` header to send back. */
  open(): string {
    const value = randomBytes(32).toString('base64url')
    const key = digest(value)
    for (const [oldKey, old] of this.#sessions) {
      if (this.#sessions.size < MAX_SESSIONS) break
      this.#end(oldKey, old)
    }
    this.#sessions.set(key, { client: `session:${key.slice(0, 16)}`, until: this.#now() + SESSION_LIFETIME })
    return `${this.#cookie}=${value}; Path=/; HttpOnly; SameSite=Strict`
  }

  /** Ends the session a request carries, if any: the `Set-Cookie` header that clears it. */
  close(req: IncomingMessage): string {
    const value = readCookie(req.headers.cookie, this.#cookie)
    const key = value === undefined ? undefined : digest(value)
    const session = key === undefined ? undefined : this.#sessions.get(key)
    if (key !== undefined && session) this.#end(key, session)
    return `${this.#cookie}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`
  }

  #end(key: string, session: Session): void {
    this.#sessions.delete(key)
    this.#ended(session.client)
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
