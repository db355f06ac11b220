import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node'
import type { Kvm } from '@nats-io/kv'
import { startPool } from '../api/pool'
import { KeepsakeError } from '../shared/errors'
import { ClusterPool, type PoolLink } from './ClusterPool'
import { UnknownPoolError } from './errors'
import { ensureBucket } from './buckets'
import type { ClusterNames } from './keys'
import type { Leases } from './leases'
import type { NodeConfig } from './options'
import { requestNode } from './nodeRequest'
import { Manifest } from './manifest'
import { ClaimAcks } from './claimAcks'
import { deleteAtOf, PlacementRecords, writeForOf } from './placements'
import { decodePoolRequest, type PoolRequest } from './poolWire'
import type { RefusalLog } from './refusals'
import type { Outcome, Transport } from './routes'
import { bucketRecords, type Sealer } from './sealed'
import { decodeReply, encode, encodeError, type Reply, type Request } from './wire'

/** What a node lends its cluster pools. */
export interface PoolHostParts {
  readonly config: NodeConfig
  readonly nc: NatsConnection
  readonly kvm: Kvm
  readonly names: ClusterNames
  readonly leases: Leases
  readonly sealer: Sealer | undefined
  readonly refusals: RefusalLog
  /** The node's checks of what it sends, and its report of undeliverable casts. */
  readonly transport: Pick<Transport, 'assertConnected' | 'assertSendable' | 'dropped'>
  /** Whether the node has gone most of a lease without renewing its heartbeat (see `PoolLink.fenced`). */
  readonly fenced: () => boolean
}

/**
 * A node's cluster pools: their placements bucket, the subject their
 * messages come to (`keepsake.<cluster>.pool.<node>`), and the load its
 * heartbeat carries for them. The node's one hook: `start` when it joins,
 * `pool(name)`, `stop` before it leaves.
 */
export class PoolHost {
  readonly #parts: PoolHostParts
  readonly #pools: ReadonlyMap<string, ClusterPool>
  readonly #subscription: Subscription
  /** JetStream's answers to placement records other nodes wrote for this one (none with a cluster key). */
  readonly #claims: Subscription | undefined
  /** The signature of each signed request being answered: its reply is signed for it. */
  readonly #signatures = new WeakMap<Msg, string>()

  private constructor(parts: PoolHostParts, pools: ReadonlyMap<string, ClusterPool>, acks: ClaimAcks) {
    this.#parts = parts
    this.#pools = pools
    this.#subscription = parts.nc.subscribe(parts.names.pool(parts.leases.self.node), {
      callback: (error, msg) => {
        if (!error) this.#onRequest(msg)
      }
    })
    this.#claims = parts.sealer
      ? undefined
      : parts.nc.subscribe(claimInbox(parts.names, parts.leases.self.node, '*'), {
          callback: (error, msg) => {
            if (!error) acks.deliver(msg.subject.slice(msg.subject.lastIndexOf('.') + 1), msg.data)
          }
        })
    parts.leases.carry(() => Object.fromEntries([...pools].map(([name, pool]) => [name, pool.load()])))
    for (const pool of pools.values()) pool._startRebalancing()
  }

  /** Opens the placements bucket and starts each pool's local side; undefined if the node has no pools. */
  static async start(parts: PoolHostParts): Promise<PoolHost | undefined> {
    const { config, kvm, names, refusals, sealer } = parts
    if (config.pools.size === 0) return undefined
    const kv = await ensureBucket(kvm, names.placements, { history: 1 })
    const records = bucketRecords(names.placements, sealer, (key, bytes, reason) =>
      refusals.refused({ subject: `$KV.${names.placements}.${key}`, bytes, reason })
    )
    const deleteAt = deleteAtOf(parts.nc, names.placements)
    const writeFor = writeForOf(parts.nc, names.placements)
    const acks = new ClaimAcks()
    const pools = new Map<string, ClusterPool>()
    const link: PoolLink = {
      self: parts.leases.self,
      request: (node, body, timeoutMs) => host.#request(node, body, timeoutMs),
      local: (body, timeoutMs) => host.#local(body, timeoutMs),
      // With a cluster key every message is signed, and JetStream's answers can't be: each node writes its own records.
      claimInbox: sealer ? undefined : (node, token) => claimInbox(names, node, token),
      claimed: (token, timeoutMs) => acks.take(token, timeoutMs),
      transport: parts.transport,
      liveNodes: () => parts.leases.liveNodes(),
      heartbeat: (node) => parts.leases.heartbeat(node),
      beatMs: Math.max(100, Math.floor(config.leaseMs / 3)),
      logger: config.logger,
      fenced: parts.fenced
    }
    for (const [name, pool] of config.pools) {
      const { logic, durable, input, intensity } = pool.kind
      const local = await startPool({
        id: name,
        logic,
        idleTimeout: pool.idleTimeout,
        ...(durable ? { durable } : {}),
        ...(input ? { input } : {}),
        ...(intensity ? { intensity } : {})
      })
      const manifest = pool.failover.mode === 'eager' ? new Manifest(kv, records, name, parts.leases.self) : undefined
      pools.set(name, new ClusterPool(pool, link, new PlacementRecords(kv, records, name, deleteAt, writeFor), local, manifest))
    }
    const host: PoolHost = new PoolHost(parts, pools, acks)
    return host
  }

  /** The pool `name`; throws UnknownPoolError if the node was not started with it. */
  pool(name: string): ClusterPool {
    const pool = this.#pools.get(name)
    if (!pool) throw new UnknownPoolError(String(name), [...this.#pools.keys()])
    return pool
  }

  /** The names of the node's pools. */
  names(): string[] {
    return [...this.#pools.keys()]
  }

  /** The node could not renew its heartbeat for most of a lease: every durable pool's keys stop here. */
  fence(): void {
    for (const pool of this.#pools.values()) pool._fence()
  }

  /** Moves every pool's keys to the other nodes (pools with `rebalance`), while the node still renews its heartbeat. */
  async leave(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool._leave()))
  }

  /** Stops every pool's keys here (their placements released), then stops serving. */
  async stop(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool._stop()))
    // Drained, not dropped: messages already received are answered (bounced: the keys are gone), not left to time out.
    await this.#subscription.drain()
    this.#claims?.unsubscribe()
  }

  #onRequest(msg: Msg): void {
    const { config, refusals, sealer } = this.#parts
    const refuse = (reason: string) => refusals.refused({ subject: msg.subject, bytes: msg.data.byteLength, reason })
    let request: PoolRequest | undefined
    try {
      request = decodePoolRequest(msg.data, config.cluster, config.maxMessageBytes)
    } catch (error) {
      return refuse((error as Error).message)
    }
    if (!request) return
    if (sealer) {
      const opened = sealer.openRequest(msg.subject, msg.data, msg.headers)
      if ('refused' in opened) return refuse(opened.refused)
      this.#signatures.set(msg, opened.signature)
    }
    const pool = this.#pools.get(request.p)
    const reply = (answer: Reply) => this.#respond(msg, answer)
    if (!pool) return reply({ k: 'err', error: encodeError(new UnknownPoolError(request.p, [...this.#pools.keys()])) })
    pool._serve(request, reply)
  }

  #respond(msg: Msg, reply: Reply): void {
    if (!msg.reply) return
    const { sealer } = this.#parts
    const bytes = this.#replyBytes(reply)
    const signature = this.#signatures.get(msg)
    try {
      msg.respond(bytes, sealer && signature ? { headers: sealer.sealReply(signature, bytes) } : undefined)
    } catch {
      // Disconnected: the sender's own timeout answers it.
    }
  }

  /** A reply as it crosses: one that can't (not JSON, over `maxMessageBytes`) crosses as the error saying why. */
  #replyBytes(reply: Reply): Uint8Array {
    const { config } = this.#parts
    try {
      const bytes = encode(config.cluster, reply)
      if (bytes.byteLength > config.maxMessageBytes) throw new KeepsakeError('WIRE_VALUE', `a reply of ${bytes.byteLength} bytes is over the ${config.maxMessageBytes}-byte limit (maxMessageBytes)`)
      return bytes
    } catch (error) {
      return encode(config.cluster, { k: 'err', error: encodeError(error) })
    }
  }

  /**
   * Serves a pool message this node sends itself without NATS (see
   * `PoolLink.local`): through the wire's encoding both ways, so the event
   * and the reply are copies with the same checks and limits as a message
   * that crossed; `timedOut` after `timeoutMs`, as a request's.
   */
  #local(body: PoolRequest, timeoutMs: number): Promise<Outcome> {
    const { config } = this.#parts
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs)
      const reply = (answer: Reply) => {
        clearTimeout(timer)
        resolve({ reply: decodeReply(this.#replyBytes(answer), config.cluster, config.maxMessageBytes) })
      }
      const request = decodePoolRequest(encode(config.cluster, body as unknown as Request), config.cluster, config.maxMessageBytes)
      const pool = request && this.#pools.get(request.p)
      if (!pool) return reply({ k: 'err', error: encodeError(new UnknownPoolError(body.p, [...this.#pools.keys()])) })
      pool._serve(request, reply)
    })
  }

  #request(node: string, body: PoolRequest, timeoutMs: number): Promise<Outcome> {
    const { config, nc, names, sealer, refusals, leases } = this.#parts
    const parts = { nc, sealer, refusals, cluster: config.cluster, maxMessageBytes: config.maxMessageBytes, self: leases.self.node }
    return requestNode(parts, names.pool(node), encode(config.cluster, body as unknown as Request), timeoutMs, node)
  }
}

/** Where JetStream answers a placement record written for `node` under `token` (`*`: all of them, to subscribe). */
function claimInbox(names: ClusterNames, node: string, token: string): string {
  return `${names.pool(node)}.claim.${token}`
}
