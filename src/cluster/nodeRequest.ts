import type { NatsConnection } from '@nats-io/transport-node'
import { KeepsakeError } from '../shared/errors'
import { ClusterUnavailableError } from './errors'
import { nats } from './nats'
import type { RefusalLog } from './refusals'
import type { Outcome } from './routes'
import type { Sealer } from './sealed'
import { decodeReply } from './wire'

/** What a request from this node to another needs: the connection, the signer, and where a forged reply is logged. */
export interface RequestParts {
  readonly nc: NatsConnection
  readonly sealer: Sealer | undefined
  readonly refusals: RefusalLog
  readonly cluster: string
  readonly maxMessageBytes: number
  /** This node's id, named when it is the one cut off from NATS. */
  readonly self: string
}

/**
 * Sends `bytes` to another node's `subject` and reads its reply, for global
 * names and cluster pools alike. No responder is `unreachable`, no reply in
 * time (or a reply whose signature does not hold: not the node's answer) is
 * `timedOut`; a connection that is down throws ClusterUnavailableError.
 */
export async function requestNode(parts: RequestParts, subject: string, bytes: Uint8Array, timeoutMs: number, node: string): Promise<Outcome> {
  const { nc, sealer, refusals } = parts
  // Signed right before it is published, so this node's sequence numbers reach each node in order.
  const sealed = sealer?.sealRequest(subject, bytes)
  try {
    const msg = await nc.request(subject, bytes, { timeout: timeoutMs, ...(sealed ? { headers: sealed.headers } : {}) })
    const forged = sealed && sealer?.openReply(sealed.signature, msg.data, msg.headers)
    if (forged) {
      // Treated as no answer: a transfer then asks the bucket where the branch is, a route asks again.
      refusals.refused({ subject: msg.subject, bytes: msg.data.byteLength, reason: `a reply: ${forged}` })
      return { timedOut: true }
    }
    return { reply: decodeReply(msg.data, parts.cluster, parts.maxMessageBytes) }
  } catch (error) {
    const { RequestError, TimeoutError } = nats().transport
    if (error instanceof RequestError && error.isNoResponders()) return { unreachable: true }
    if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) return { timedOut: true }
    if (error instanceof KeepsakeError) throw error
    throw new ClusterUnavailableError(parts.self, `a message to node "${node}"`)
  }
}
