import { processWide } from '../shared/processWide'
import type { ReplyChannel } from './reply'

/**
 * The message a worker of this thread is processing right now, as seen from
 * inside it: where its answers go, and who is processing it, for a call the
 * logic makes meanwhile (deadlock detection, see `chainFor`).
 */
export interface Delivery {
  /** The call being processed, which `reply`, `respond` and `deferReply` address; undefined for a cast. */
  readonly reply: ReplyChannel | undefined
  /** The branch processing it: where a call made meanwhile comes from (undefined in an isolated worker's host). */
  readonly branch: string | undefined
  /** The branches whose calls led to it, first to last; undefined when none did. */
  readonly chain: readonly string[] | undefined
}

/**
 * One per process, so `reply()` from either copy of keepsake (ESM, CJS)
 * answers a call to a branch of either. One slot, not one per part of the
 * context: a delivery saves, sets and restores one reference (this runs for
 * every message).
 */
const deliveries = processWide('delivery.v2', () => ({ current: undefined as Delivery | undefined }))

/** The delivery being processed in this thread, if any. */
export function currentDelivery(): Delivery | undefined {
  return deliveries.current
}

/**
 * Makes `delivery` the one being processed and returns the one it replaces,
 * which the deliverer restores once its delivery ends, however it ends:
 * deliveries nest (a worker that synchronously messages another branch gets
 * its own context back).
 */
export function enterDelivery(delivery: Delivery | undefined): Delivery | undefined {
  const outer = deliveries.current
  deliveries.current = delivery
  return outer
}
