import { InvalidMessageError } from './errors'
import { isDelivery, parse, type Request } from './wire'

/**
 * What a node sends to another about a key of a cluster pool, on the pool
 * subject (`keepsake.<cluster>.pool.<node>`), apart from global names' own
 * messages. `p` is the pool, `n` the key. A message carries the key's epoch
 * (`o`, the revision of its placement record, as a string) its sender
 * believes in; `place` asks the node to activate the key if no node has
 * (`rev` null) or if the record at `rev` names a dead node; `adopt` hands
 * the node a key its owner has stopped (rebalancing), with its state
 * (`image`, `tables`: none for a durable key, which recovers from its
 * store), to take over the record at revision `rev`. A message addressed to
 * the epoch `*` may carry `w`, a token, and `wi`, a life of its node: its
 * sender wrote the key's record naming the node in that life, and
 * JetStream's answer comes to the node under that token.
 */
export type PoolRequest =
  | (Exclude<Request, { k: 'adopt' }> & { readonly p: string; readonly w?: string; readonly wi?: string })
  | { readonly k: 'place'; readonly p: string; readonly n: string; readonly rev: number | null }
  | PoolAdopt

/** A key handed over by its owner (see `PoolRequest`). */
export interface PoolAdopt {
  readonly k: 'adopt'
  readonly p: string
  readonly n: string
  readonly rev: number
  readonly image?: unknown
  readonly tables?: unknown
}

/** What a `place` is answered with (in an `ok` reply): where the key is, and its epoch. */
export interface Placed {
  readonly node: string
  readonly inc: string
  readonly epoch: number
}

/** Parses and checks a pool message: returns it, `undefined` if it is another cluster's; throws InvalidMessageError if malformed. */
export function decodePoolRequest(bytes: Uint8Array, cluster: string, maxBytes: number): PoolRequest | undefined {
  const o = parse(bytes, cluster, maxBytes)
  if (o === undefined) return undefined
  if (typeof o.p !== 'string' || o.p.length === 0) throw new InvalidMessageError('"p" (the pool) must be a non-empty string')
  if (typeof o.n !== 'string' || o.n.length === 0) throw new InvalidMessageError('"n" (the key) must be a non-empty string')
  if (o.k === 'place') {
    if (o.rev !== null && (!Number.isSafeInteger(o.rev) || (o.rev as number) <= 0)) throw new InvalidMessageError('"rev" must be a positive integer or null')
    return o as PoolRequest
  }
  if (o.k === 'adopt') {
    if (!Number.isSafeInteger(o.rev) || (o.rev as number) <= 0) throw new InvalidMessageError('"rev" (the record handed over) must be a positive integer')
    return o as PoolRequest
  }
  if (typeof o.o !== 'string') throw new InvalidMessageError('"o" (the epoch addressed) must be a string')
  if (o.w !== undefined || o.wi !== undefined) {
    if (o.o !== '*' || typeof o.w !== 'string' || o.w.length === 0 || typeof o.wi !== 'string' || o.wi.length === 0) {
      throw new InvalidMessageError('"w" and "wi" (a record written for the node) must be non-empty strings, together, with the epoch "*"')
    }
  }
  if (isDelivery(o)) return o as PoolRequest
  throw new InvalidMessageError(`unknown pool message kind ${JSON.stringify(o.k)}`)
}

/** Reads a `place` answer's value; throws InvalidMessageError if it is not one. */
export function readPlaced(value: unknown): Placed {
  const v = value as Partial<Placed> | null
  if (typeof v !== 'object' || v === null || typeof v.node !== 'string' || typeof v.inc !== 'string' || !Number.isSafeInteger(v.epoch)) {
    throw new InvalidMessageError('a placement answer must be { node, inc, epoch }')
  }
  return { node: v.node, inc: v.inc, epoch: v.epoch as number }
}
