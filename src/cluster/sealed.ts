import { randomUUID } from 'node:crypto'
import type { MsgHdrs } from '@nats-io/transport-node'
import type { ClusterKey } from './signing'
import { nats } from './nats'

/** How far a signed request's send time may be from the receiver's clock. */
export const MAX_CLOCK_SKEW_MS = 60_000

const KEY = 'Keepsake-Key'
const SIG = 'Keepsake-Sig'
const LIFE = 'Keepsake-Life'
const SEQ = 'Keepsake-Seq'
const AT = 'Keepsake-At'

const encoder = new TextEncoder()

/** A request that passed: its signature, which the reply is bound to. */
export type Opened = { readonly signature: string } | { readonly refused: string }

/**
 * Signs what this node sends with its cluster key and checks what it
 * receives, in NATS headers (the body is signed as the exact bytes sent, so
 * no canonical JSON is needed). A request is signed with its subject, the
 * sender's life (a random id per process), a sequence number and its send
 * time: bytes signed for one node or cluster are refused on another, and a
 * recorded request played again is refused because its sequence number was
 * seen (the sender's messages to one node arrive in order) or, from a life
 * this node no longer remembers, because it is older than
 * {@link MAX_CLOCK_SKEW_MS}. A reply is signed with the request's signature:
 * it answers that request and no other.
 */
export class Sealer {
  readonly #key: ClusterKey
  readonly #life = randomUUID()
  #seq = 0
  /** The last sequence number accepted from each sender's life, and when (to forget it once its messages are too old anyway). */
  readonly #seen = new Map<string, { seq: number; at: number }>()
  #pruneAt = 0

  constructor(key: ClusterKey) {
    this.#key = key
  }

  /** Headers that sign `bytes` as a request on `subject`; `signature` binds the reply. */
  sealRequest(subject: string, bytes: Uint8Array): { headers: MsgHdrs; signature: string } {
    const seq = String(++this.#seq)
    const at = String(Date.now())
    const signature = this.#key.sign(requestScope(subject, this.#life, seq, at), bytes)
    const h = nats().transport.headers()
    h.set(KEY, this.#key.id)
    h.set(LIFE, this.#life)
    h.set(SEQ, seq)
    h.set(AT, at)
    h.set(SIG, signature)
    return { headers: h, signature }
  }

  /** Checks a request received on `subject`: signed by a trusted key, for this subject, recent and not seen before. */
  openRequest(subject: string, bytes: Uint8Array, h: MsgHdrs | undefined): Opened {
    const life = h?.get(LIFE) ?? ''
    const seq = Number(h?.get(SEQ))
    const at = Number(h?.get(AT))
    const signature = h?.get(SIG) || undefined
    const wrong = this.#key.check(requestScope(subject, life, h?.get(SEQ) ?? '', h?.get(AT) ?? ''), bytes, h?.get(KEY) || undefined, signature)
    if (wrong) return { refused: wrong }
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(at) || life === '') return { refused: 'its signed headers are malformed' }
    const now = Date.now()
    if (Math.abs(now - at) > MAX_CLOCK_SKEW_MS) return { refused: `it was signed ${Math.round((now - at) / 1000)} s from now, past the ${MAX_CLOCK_SKEW_MS / 1000} s allowed (a replay, or a clock far off)` }
    const sender = `${h?.get(KEY)}/${life}`
    const last = this.#seen.get(sender)
    if (last && seq <= last.seq) return { refused: 'it was received before (a replay)' }
    this.#seen.set(sender, { seq, at: now })
    this.#prune(now)
    return { signature: signature as string }
  }

  /** Headers that sign `bytes` as the reply to the request signed `requestSignature`. */
  sealReply(requestSignature: string, bytes: Uint8Array): MsgHdrs {
    const h = nats().transport.headers()
    h.set(KEY, this.#key.id)
    h.set(SIG, this.#key.sign(`reply\n${requestSignature}`, bytes))
    return h
  }

  /** Why a reply can't be trusted as the answer to the request signed `requestSignature`, if it can't. */
  openReply(requestSignature: string, bytes: Uint8Array, h: MsgHdrs | undefined): string | undefined {
    return this.#key.check(`reply\n${requestSignature}`, bytes, h?.get(KEY) || undefined, h?.get(SIG) || undefined)
  }

  /** `text` as a record signed for `key` of `bucket`. */
  sealRecord(bucket: string, key: string, text: string): string {
    return JSON.stringify({ p: text, k: this.#key.id, s: this.#key.sign(`record\n${bucket}\n${key}`, encoder.encode(text)) })
  }

  /** The text of a record of `key` in `bucket`, or why it can't be trusted. */
  openRecord(bucket: string, key: string, stored: string): { readonly text: string } | { readonly refused: string } {
    let o: { p?: unknown; k?: unknown; s?: unknown }
    try {
      o = JSON.parse(stored) as typeof o
    } catch {
      return { refused: 'it is not JSON' }
    }
    if (typeof o !== 'object' || o === null || typeof o.p !== 'string') return { refused: 'it is not a signed record' }
    const wrong = this.#key.check(`record\n${bucket}\n${key}`, encoder.encode(o.p), typeof o.k === 'string' ? o.k : undefined, typeof o.s === 'string' ? o.s : undefined)
    return wrong ? { refused: wrong } : { text: o.p }
  }

  /** Forgets senders whose messages would be refused as too old anyway. */
  #prune(now: number): void {
    if (now < this.#pruneAt) return
    this.#pruneAt = now + MAX_CLOCK_SKEW_MS
    for (const [sender, { at }] of this.#seen) if (now - at > 2 * MAX_CLOCK_SKEW_MS) this.#seen.delete(sender)
  }
}

function requestScope(subject: string, life: string, seq: string, at: string): string {
  return `request\n${subject}\n${life}\n${seq}\n${at}`
}

/** How a bucket's records are written and read: signed with the cluster key, or as they are without one. */
export interface Records {
  write(key: string, text: string): string
  /** The record's text, or undefined if it can't be trusted (then `refused` was told why). */
  read(key: string, stored: string): string | undefined
}

/** The records of `bucket`: through `sealer` if the node has a cluster key; refusals go to `refused`. */
export function bucketRecords(bucket: string, sealer: Sealer | undefined, refused: (key: string, bytes: number, reason: string) => void): Records {
  if (!sealer) return { write: (_key, text) => text, read: (_key, stored) => stored }
  return {
    write: (key, text) => sealer.sealRecord(bucket, key, text),
    read: (key, stored) => {
      const opened = sealer.openRecord(bucket, key, stored)
      if ('text' in opened) return opened.text
      refused(key, Buffer.byteLength(stored), `a record of bucket ${bucket}: ${opened.refused}`)
      return undefined
    }
  }
}
