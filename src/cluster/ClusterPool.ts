import { randomUUID } from 'node:crypto'
import type { AnyActorLogic, EventFromLogic } from 'xstate'
import type { Pool } from '../api/pool'
import { DEFAULT_CALL_TIMEOUT, type Branch } from '../supervisor/Branch'
import type { CallOptions, CastOptions, ReplyFor } from '../supervisor/types'
import { readDuration, readOptions, assertEvent } from '../shared/validate'
import { CallTimeoutError, InvalidOptionError } from '../shared/errors'
import { abortable, readSignal } from '../shared/abort'
import { within } from '../shared/clock'
import { JournalConflictError, SnapshotConflictError } from '../stores/errors'
import type { Moved } from '../api/pool'
import { KeyOverloadedError, NodeOverloadedError, NoNodeError, OutcomeUnknownError, TransferFailedError } from './errors'
import { jsonImage, jsonTables, readImage, readTables } from './image'
import type { ClaimAck } from './claimAcks'
import { LapseWatch } from './lapseWatch'
import { readName } from './keys'
import type { Owner } from './leases'
import type { ClusterLogger } from './options'
import type { NodeLoad } from './placementView'
import { PlacementView } from './placementView'
import type { Placement, PlacementRecords } from './placements'
import type { PoolConfig } from './poolOptions'
import { readPlaced, type Placed, type PoolAdopt, type PoolRequest } from './poolWire'
import { censusOf, DEFAULT_CENSUS_LIMIT, type PoolCensus } from './poolCensus'
import { Rebalancer, type Holding, type MoveOutcome, type RebalanceStats } from './rebalance'
import { EagerFailover, type FailoverStats, type TakeoverOutcome } from './eager'
import type { Manifest, ManifestEntry } from './manifest'
import { Route, type Outcome, type Owners, type Transport } from './routes'
import { StartQueue } from './startQueue'
import { waitUntil } from './waitUntil'
import { decodeError, encodeError, type Reply } from './wire'

/** What a node gives each of its cluster pools: its NATS side and its view of the cluster. */
export interface PoolLink {
  /** This node and its life. */
  readonly self: { readonly node: string; readonly inc: string }
  /** Sends a pool message to `node` and waits for its answer. */
  request(node: string, body: PoolRequest, timeoutMs: number): Promise<Outcome>
  /** Serves a pool message on this node, not through NATS (as if it had crossed: a copy both ways, `timedOut` after `timeoutMs`). */
  local(body: PoolRequest, timeoutMs: number): Promise<Outcome>
  /**
   * Where JetStream is to answer a placement record this node writes for
   * `node` under `token` (see `#claimFor`); undefined if nodes write only
   * their own records (with a cluster key: an unsigned answer can't be trusted).
   */
  readonly claimInbox: ((node: string, token: string) => string) | undefined
  /** JetStream's answer to the record another node wrote for this one under `token`; `lost` if none within `timeoutMs`. */
  claimed(token: string, timeoutMs: number): Promise<ClaimAck | 'lost'>
  /** The route's checks and its report of undeliverable casts (the node's own). */
  readonly transport: Pick<Transport, 'assertConnected' | 'assertSendable' | 'dropped'>
  /** Live nodes, this one included. */
  liveNodes(): string[]
  /** A live node's heartbeat: its life and the load it carried (undefined if not live). */
  heartbeat(node: string): { readonly inc: string; readonly load?: unknown } | undefined
  /** How often heartbeats are written: a placement view is rebuilt at least this often. */
  readonly beatMs: number
  /** The node's logger (keys a leaving node could not move are logged). */
  readonly logger: ClusterLogger
  /**
   * Whether this node has gone most of a lease without renewing its
   * heartbeat (cut off, or stalled: a GC pause, SIGSTOP): the others may
   * soon place its keys again, so it serves no durable key until it renews.
   */
  fenced(): boolean
}

/** What a node's heartbeat says of one of its cluster pools. */
export interface PoolLoad {
  readonly keys: number
  readonly inFlight: number
  readonly overloaded: boolean
}

/** One key as the node that holds it sees it. */
interface Activation {
  /** `moving`: being handed to another node (rebalancing), its messages held meanwhile. */
  phase: 'activating' | 'active' | 'releasing' | 'moving'
  /** The revision of the key's record this activation wrote (0 until it is written). */
  epoch: number
  /** Calls delivered and not answered yet. */
  inFlight: number
  /** Messages that came while it activated or released, in arrival order. */
  readonly held: { readonly request: PoolRequest; readonly reply: (reply: Reply) => void }[]
}

/**
 * The epoch a sender addresses a key with before it knows one: "the live
 * activation you hold, or place it here if no node has". A deterministic
 * strategy's sender sends a new key's messages so, straight to the node it
 * computes (no `place` round trip first); anything that node can't serve so
 * is bounced, and the sender looks the key up as for any bounce.
 */
const ANY_EPOCH = '*'
/**
 * How many of a node's records written along with first messages may be
 * refused in a row (the key was placed already: a first message from a node
 * that had not cached it) before it writes them for one guess in
 * {@link CLAIM_PROBE} only, until they are of use again.
 */
const CLAIM_CREDIT = 8
/** While writes along with first messages are mostly refused, one guess in this many still carries one, to see if they are of use again. */
const CLAIM_PROBE = 16
/** How long a node waits for JetStream's answer to a record written for it before it writes its own (the first may still land: its own then finds it). */
const CLAIM_ACK_TIMEOUT = 2_000
/** How long a key being moved may take to answer what was delivered to it, and its new node to take it. */
const MOVE_TIMEOUT = 10_000
/** How long a placement request may take (the node's create of the record and the key's start, from the store if durable). */
const PLACE_TIMEOUT = 10_000
/** How many times a sender tries to place a key (a lost race, an overloaded or gone node) before it gives up. */
const PLACE_ATTEMPTS = 8
/** How many times an activation recovers and writes its marker before it fails (each refusal means a former owner's write landed meanwhile). */
const MARK_ATTEMPTS = 5
/** The node's overloaded flag clears once its load falls to this part of the bound, so it does not flap. */
const CLEAR_AT = 0.8

/**
 * A keyed pool spread over the cluster, as one node runs it (see
 * `startNode`'s `pools`): `call`, `cast` and `send` reach a key's one
 * activation wherever it is, placing it on its first message; this node
 * holds some of the keys, in a local `Pool`. Get one with `node.pool(name)`.
 */
export class ClusterPool<L extends AnyActorLogic = AnyActorLogic> {
  /** The pool's name (the same on every node). */
  readonly name: string
  readonly #config: PoolConfig
  readonly #link: PoolLink
  readonly #records: PlacementRecords
  /** The keys this node holds, their branches in a local pool whose id is the pool's name. */
  readonly #local: Pool<L>
  readonly #activations = new Map<string, Activation>()
  /** Releases under way (a passivation, a stop): `stop` waits for them. */
  readonly #releasing = new Set<Promise<void>>()
  #inFlight = 0
  #overloaded = false
  #stopping = false
  /** Moves keys when nodes join and before this node leaves; undefined with `rebalance: false`. */
  readonly #rebalancer: Rebalancer | undefined
  readonly #moves = { plans: 0, planned: 0, movedOut: 0, movedIn: 0, failed: 0, checks: 0, drifts: 0 }
  /** Starts of durable keys taken over in moves (see `#adoptStored`). */
  readonly #adopted: StartQueue
  /** Starts a dead node's keys at once (`failover: 'eager'`); undefined when lazy. */
  readonly #eager: EagerFailover | undefined

  // ---- the sending side ----
  /** The routing cache: key -> where it is, least recently used first. */
  readonly #placements = new Map<string, Owner>()
  /** Why a key could not be placed, for the messages that waited on it. */
  readonly #failures = new Map<string, Error>()
  readonly #routes = new Map<string, Route>()
  /** Keys being looked up or placed: messages for them wait here, in order. */
  readonly #resolving = new Map<string, { readonly done: Promise<void>; waiting: number }>()
  /** Unanswered calls this node sent, per key. */
  readonly #outstanding = new Map<string, number>()
  /** Messages this node sent itself through NATS and has no answer to yet, per key (see `#ask`). */
  readonly #toSelf = new Map<string, number>()
  /** Calls in flight to other nodes, failed with OutcomeUnknownError once their node's heartbeat lapses. */
  readonly #lapses: LapseWatch
  #view: { view: PlacementView; at: number; nodes: string } | undefined
  /** Nodes that refused a placement since the view was built (overloaded, or gone). */
  readonly #refused = new Set<string>()
  /** Guesses whose first message went with its record (`#claimFor`): one record written per guess. */
  readonly #claimedFor = new WeakSet<Owner>()
  /** Records written along with first messages lately of use, less those refused (0 to {@link CLAIM_CREDIT}). */
  #claimCredit = CLAIM_CREDIT
  /** Guesses since the last probe while the credit is out. */
  #sinceProbe = 0

  /** @internal Made by the node for each of its `pools` (`manifest`: this node's, for eager failover). */
  constructor(config: PoolConfig, link: PoolLink, records: PlacementRecords, local: Pool<L>, manifest?: Manifest) {
    this.name = config.name
    this.#config = config
    this.#link = link
    this.#records = records
    this.#local = local
    this.#lapses = new LapseWatch((node) => link.heartbeat(node), Math.max(25, Math.floor(link.beatMs / 4)))
    this.#rebalancer = config.rebalance ? new Rebalancer(this, link, config.strategy, config.rebalance) : undefined
    // As many starts at once as moves: a start's recovery waits its turn in the local pool (its supervisor starts
    // one branch at a time) but its marker's writes overlap the others'.
    this.#adopted = new StartQueue(config.rebalance ? config.rebalance.batch : 1)
    this.#eager = config.failover.mode === 'eager' && manifest ? new EagerFailover(this, link, manifest, config.failover.batch) : undefined
  }

  /**
   * Calls the key's activation, wherever it is, placing it first if it has
   * none. Resolves like `call`; the timeout counts from this call, the
   * placement included. Rejects with `KeyOverloadedError` if this node has
   * `maxInFlightPerKey` calls to the key unanswered (or its owner has that
   * many in flight), with `NoNodeError` if no node can take a new key.
   *
   * @example
   * const total = await node.pool('carts').call('cart-42', { type: 'add', sku: 'tea' })
   */
  call<E extends EventFromLogic<L>>(key: string, event: E, options?: CallOptions): Promise<ReplyFor<L, E>> {
    try {
      readName(key, 'key')
      const outstanding = this.#outstanding.get(key) ?? 0
      if (outstanding >= this.#config.maxInFlightPerKey) throw new KeyOverloadedError(this.name, key, this.#config.maxInFlightPerKey)
      // Cached (or guessed) and nothing waiting: the route checks the event and options itself, as for a global name.
      if (this.#routable(key)) return this.#counted(key, outstanding, this.#route(key).call(event, options))
      // Checked before anything is placed for it.
      assertEvent(event)
      const o = readOptions(options, 'call options')
      const timeout = readDuration(o.timeout, 'timeout', DEFAULT_CALL_TIMEOUT, true)
      const signal = readSignal(o.signal)
      this.#link.transport.assertSendable({ k: 'call', n: key, e: event, t: null })
      const since = Date.now()
      const reply = this.#withRoute(key, (route) => {
        // What is left of the timeout once placed.
        const left = timeout === Infinity ? Infinity : Math.max(1, timeout - (Date.now() - since))
        return route.call(event, { ...options, timeout: left })
      })
      // The caller's timeout and signal hold while the key is being placed too (the placement may wait for a
      // slow activation or a dead node's lapse); once placed, the message may still go, as after any timeout.
      const bounded = abortable(within(reply, timeout, () => new CallTimeoutError(key, event.type, timeout)), signal)
      return this.#counted(key, outstanding, bounded)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Counts `reply` among the key's unanswered calls from this node until it settles. */
  #counted<T>(key: string, outstanding: number, reply: Promise<unknown>): Promise<T> {
    this.#outstanding.set(key, outstanding + 1)
    const done = () => {
      const n = (this.#outstanding.get(key) ?? 1) - 1
      if (n <= 0) this.#outstanding.delete(key)
      else this.#outstanding.set(key, n)
    }
    return reply.then(
      (value) => {
        done()
        return value as T
      },
      (error: unknown) => {
        done()
        throw error
      }
    )
  }

  /**
   * Casts to the key's activation, placing it first if it has none. This
   * node's messages to a key reach it in the order they were sent, across
   * its placement, passivation and placement again. A cast that can't be
   * delivered (no node can take the key) is reported to the node's logger.
   */
  cast(key: string, event: EventFromLogic<L>, options?: CastOptions): void {
    readName(key, 'key')
    assertEvent(event)
    readDuration(readOptions(options, 'cast options').delay, 'delay', 0)
    this.#link.transport.assertSendable({ k: 'cast', n: key, e: event })
    this.#link.transport.assertConnected(`a cast to key "${key}"`)
    this.#withRoute(key, (route) => route.cast(event, options)).catch((error: Error) => this.#link.transport.dropped(key, event, error))
  }

  /** Like `cast`, for a raw message; returns the message. */
  send<E extends EventFromLogic<L>>(key: string, message: E, options?: CastOptions): E {
    this.cast(key, message, options)
    return message
  }

  /** The node this node last knew `key` on (its routing cache), if any. */
  placement(key: string): string | undefined {
    return this.#placements.get(key)?.node
  }

  /** The keys active on this node. */
  keys(): string[] {
    return [...this.#activations].filter(([, a]) => a.phase === 'active').map(([key]) => key)
  }

  /**
   * What rebalancing did on this node so far: the plans it made (one each
   * time the settled membership changed, and one when this node left), its
   * checks for load drift and those that found it above the bound, and
   * the moves they held, the keys it moved out and took in, and the moves
   * that failed (those keys stayed where they were). A plan's moves are done
   * once `movedOut + failed` reaches `planned` (a key gone meanwhile, or
   * whose target left, counts as failed).
   *
   * @example
   * node.pool('carts').moves() // { plans: 2, planned: 31, movedOut: 31, movedIn: 0, failed: 0, checks: 40, drifts: 0 }
   */
  moves(): RebalanceStats {
    return { ...this.#moves }
  }

  /**
   * What eager failover (`failover: 'eager'`) did on this node so far: the
   * other nodes' lapses it handled, the keys their manifests listed, those
   * of this node's share, and of these the keys it took over and started,
   * those already placed anew when it came to them, and those it could not
   * start (they come back on their next message). All zero when lazy.
   *
   * @example
   * node.pool('accounts').failovers() // { lapses: 1, listed: 1000, shared: 497, taken: 497, skipped: 0, failed: 0 }
   */
  failovers(): FailoverStats {
    return this.#eager?.stats() ?? { lapses: 0, listed: 0, shared: 0, taken: 0, skipped: 0, failed: 0 }
  }

  /** This node's load in the pool, as its heartbeat carries it. */
  load(): PoolLoad {
    return { keys: this.#activations.size, inFlight: this.#inFlight, overloaded: this.#overloaded || this.#stopping }
  }

  /**
   * Runs `use` with the key's route once this node knows where the key is:
   * at once if it is cached and nothing waits for it, else after the
   * lookup (or placement) every earlier message for the key waits on, so
   * messages keep their order.
   */
  #withRoute<T>(key: string, use: (route: Route) => T): Promise<Awaited<T>> {
    if (this.#routable(key)) return Promise.resolve(use(this.#route(key)))
    let entry = this.#resolving.get(key)
    if (!entry) {
      const done = this.#refresh(key).then(() => undefined)
      entry = { done, waiting: 0 }
      this.#resolving.set(key, entry)
    }
    const waiting = entry
    waiting.waiting++
    const leave = () => {
      if (--waiting.waiting === 0 && this.#resolving.get(key) === waiting) this.#resolving.delete(key)
    }
    return waiting.done.then(
      () => {
        leave()
        return use(this.#route(key))
      },
      (error: unknown) => {
        leave()
        throw error
      }
    ) as Promise<Awaited<T>>
  }

  /** Whether the key's messages can go now: nothing waits on a lookup of it, and its placement is cached or guessed. */
  #routable(key: string): boolean {
    return !this.#resolving.has(key) && (this.#cached(key) !== undefined || this.#guess(key))
  }

  /**
   * For a deterministic strategy, caches where the strategy puts a key this
   * node has no placement of, under {@link ANY_EPOCH}: its first message goes
   * there at once, and that node places the key (its KV create) and delivers
   * it in the same round trip. Only while this node has nothing of the key
   * in transit (its route is idle), so whatever activation that node holds,
   * no earlier message of ours is on its way elsewhere.
   */
  #guess(key: string): boolean {
    if (!this.#config.strategy.deterministic) return false
    const route = this.#routes.get(key)
    if (route && !route.idle) return false
    const view = this.#currentView()
    const node = this.#config.strategy.place(key, view, this.#link.self.node)
    const inc = node instanceof NoNodeError ? undefined : this.#link.heartbeat(node)?.inc
    if (node instanceof NoNodeError || inc === undefined) return false
    // An idle route may still name the placement it last used: a new one starts from this guess.
    this.#routes.delete(key)
    view.add(node)
    this.#remember(key, { node, inc, epoch: 0 }, ANY_EPOCH)
    return true
  }

  #cached(key: string): Owner | undefined {
    const owner = this.#placements.get(key)
    if (owner && this.#link.heartbeat(owner.node)?.inc !== owner.inc) {
      // Its node's heartbeat lapsed (dead, cut off or stalled): a call there would only time out, and a stalled node
      // bounces what it finds on waking. Looked up again; the old route finishes what it sent on its own.
      this.#placements.delete(key)
      this.#routes.delete(key)
      return undefined
    }
    if (owner) {
      // Most recently used last.
      this.#placements.delete(key)
      this.#placements.set(key, owner)
    }
    return owner
  }

  #remember(key: string, placement: Placement, tenure = String(placement.epoch)): Owner {
    const owner: Owner = { node: placement.node, inc: placement.inc, tenure, revision: placement.epoch }
    this.#failures.delete(key)
    this.#placements.delete(key)
    this.#placements.set(key, owner)
    // Least recently used go first, with their routes if idle (a route with messages in transit holds its owner).
    for (const oldest of this.#placements.keys()) {
      if (this.#placements.size <= this.#config.maxCachedRoutes) break
      this.#placements.delete(oldest)
      this.#failures.delete(oldest)
      if (this.#routes.get(oldest)?.idle) this.#routes.delete(oldest)
    }
    return owner
  }

  #route(key: string): Route {
    let route = this.#routes.get(key)
    if (!route) {
      route = new Route(key, this.#owners, this.#transport, () => undefined)
      this.#routes.set(key, route)
    }
    return route
  }

  readonly #owners: Owners = {
    owner: (key) => this.#placements.get(key),
    // Called after a bounce: the cached placement is the one that bounced.
    refresh: (key) => this.#refresh(key, this.#placements.get(key)),
    missing: (key) => this.#failures.get(key) ?? new NoNodeError(key, 'no-nodes', 0)
  }

  readonly #transport: Transport = {
    assertConnected: (what) => this.#link.transport.assertConnected(what),
    assertSendable: (body) => this.#link.transport.assertSendable(body),
    request: (node, body, timeoutMs) => {
      const sent = this.#claimFor(node, { ...body, p: this.name } as PoolRequest, (request) => this.#ask(node, request, timeoutMs))
      // A cast that never gets its answer bounces or is reported dropped, as before; a call fails as soon as its node lapses.
      if (body.k === 'cast' || node === this.#link.self.node) return sent
      const type = body.k === 'call' ? body.e.type : body.k === 'callAll' ? String(body.es[0]?.type) : body.k
      return this.#lapses.watch(node, sent, () => new OutcomeUnknownError(this.name, body.n, node, type))
    },
    dropped: (key, event, error) => this.#link.transport.dropped(key, event, error)
  }

  /**
   * The first message of a guess (epoch `*`) to another node goes with the
   * key's record: this node writes it, naming that node in the life its
   * heartbeat carries, by the same compare-and-set as that node's create,
   * and JetStream answers that node, which reads it under the token the
   * message carries (`w`, with the life written, `wi`). The record's write
   * and the message travel at once, so a new key's first call is one round
   * trip and a start, not two round trips (the message, then the node's
   * create). The write decides as the node's own would: of any number of
   * racing writers one wins. If it loses (the key has a record: placed
   * already, or a tombstone this node did not leave), the node makes its own
   * claim as without it, and says so in its answer (`wr`). A node whose
   * writes are mostly refused (its first messages go to keys placed already,
   * as a node that just joined calling keys of the others) writes for one
   * guess in {@link CLAIM_PROBE} only, until they are of use again: a refused
   * write is off the message's path but a load on JetStream. Other messages
   * go as they are.
   */
  #claimFor(node: string, body: PoolRequest, send: (request: PoolRequest) => Promise<Outcome>): Promise<Outcome> {
    const inbox = this.#link.claimInbox
    if (inbox === undefined || node === this.#link.self.node || body.k === 'place' || body.k === 'adopt' || body.o !== ANY_EPOCH) return send(body)
    const owner = this.#placements.get(body.n)
    if (!owner || owner.node !== node || owner.tenure !== ANY_EPOCH || this.#claimedFor.has(owner)) return send(body)
    this.#claimedFor.add(owner)
    if (this.#claimCredit === 0 && ++this.#sinceProbe % CLAIM_PROBE !== 0) return send(body)
    const token = randomUUID()
    try {
      this.#records.claimFor(body.n, owner, inbox(node, token))
    } catch {
      // Not written (disconnected: the message itself fails the same way): the node claims the key itself.
      return send(body)
    }
    return send({ ...body, w: token, wi: owner.inc }).then((outcome) => {
      const refused = 'reply' in outcome && (outcome.reply.k === 'moved' || outcome.reply.wr === true)
      this.#claimCredit = refused ? Math.max(0, this.#claimCredit - 1) : Math.min(CLAIM_CREDIT, this.#claimCredit + 1)
      return outcome
    })
  }

  /**
   * Sends a pool message to `node`. A placement this node makes itself (a
   * `place`, or a first message on a guess for a key it has no activation
   * of) is served in-process: its critical path is then the record's KV
   * create and the start, with no NATS round trip to itself. Not once the
   * key is active here: its messages cross NATS as any other node's do,
   * paced by the network, so a caller's loop on its own node's keys can't
   * take the CPU a NATS round trip would leave to others (tried for every
   * message and backed out: docs/design/cluster-pools.md, section 3). Nor
   * while a message of ours to the key is in transit through NATS: this one
   * would overtake it.
   */
  #ask(node: string, body: PoolRequest, timeoutMs: number): Promise<Outcome> {
    if (node !== this.#link.self.node) return this.#link.request(node, body, timeoutMs)
    const placing = body.k === 'place' || (body.k !== 'adopt' && body.o === ANY_EPOCH && !this.#activations.has(body.n))
    if (placing && !this.#toSelf.has(body.n)) return this.#link.local(body, timeoutMs)
    const key = body.n
    this.#toSelf.set(key, (this.#toSelf.get(key) ?? 0) + 1)
    return this.#link.request(node, body, timeoutMs).finally(() => {
      const n = (this.#toSelf.get(key) ?? 1) - 1
      if (n <= 0) this.#toSelf.delete(key)
      else this.#toSelf.set(key, n)
    })
  }

  /**
   * Where `key` is, from the bucket (after a bounce, or for a key not
   * cached); placed by the strategy if it has no live placement. Rejects
   * with NoNodeError if no node takes it.
   */
  async #refresh(key: string, bounced?: Owner): Promise<Owner | undefined> {
    /** Live, and not the placement that just bounced (a record its node left behind when a release could not delete it). */
    const usable = (found: Placement): boolean =>
      this.#link.heartbeat(found.node)?.inc === found.inc && !(found.node === bounced?.node && String(found.epoch) === bounced.tenure)
    /** Nodes asked to place the key that did not answer: what the NoNodeError names if none took it. */
    const unanswered = new Set<string>()
    try {
      // A deterministic strategy names the node every node would pick: ask it first, without reading the
      // record (it answers at once if it holds the key, and reads the record itself if another node won).
      // Not after a guess bounced: that node could not place it (another node holds it, most likely).
      if (this.#config.strategy.deterministic && bounced?.tenure !== ANY_EPOCH) {
        const placed = await this.#place(key, null, unanswered)
        if (placed && usable(placed)) return this.#remember(key, placed)
      }
      for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt++) {
        const record = await this.#records.get(key)
        if (record && usable(record)) return this.#remember(key, record)
        if (record && record.node === bounced?.node && this.#link.heartbeat(record.node)?.inc === record.inc) {
          // Its node says it does not hold it: asked to place it, that node replaces the record it left behind.
          const placed = await this.#place(key, null, unanswered, record.node)
          if (placed && !(placed.node === bounced.node && String(placed.epoch) === bounced.tenure)) return this.#remember(key, placed)
          // It did not answer (dead, its heartbeat not lapsed yet: no other node may take the key until it lapses) or
          // took nothing: looked at again a heartbeat period later. At once, the attempts ran out within the lease,
          // failing the key's messages with NoNodeError until the lapse.
          await new Promise((resolve) => setTimeout(resolve, this.#link.beatMs))
          continue
        }
        // No record, or one naming a node that is gone (or in an older life): place it, replacing that record. A dead
        // node's key goes first to the node whose eager takeover it is (eager.ts), which may be starting it already.
        const placed = await this.#place(key, record?.epoch ?? null, unanswered, record ? this.#eager?.takerOf(key) : undefined)
        if (placed) return this.#remember(key, placed)
      }
      throw this.#noNode(key, 'all-overloaded', unanswered)
    } catch (error) {
      this.#placements.delete(key)
      // Read by the route's `missing` at once; kept bounded for keys never called again.
      if (this.#failures.size >= this.#config.maxCachedRoutes) this.#failures.clear()
      this.#failures.set(key, error as Error)
      throw error
    }
  }

  /**
   * Asks the strategy's node (first `to`, if given) to activate `key`;
   * undefined if the record changed meanwhile (look again). A node that does
   * not answer is added to `unanswered`.
   */
  async #place(key: string, replacing: number | null, unanswered: Set<string>, to?: string): Promise<Placed | undefined> {
    for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt++) {
      const view = this.#currentView()
      const node = attempt === 0 && to !== undefined ? to : this.#config.strategy.place(key, view, this.#link.self.node)
      if (node instanceof NoNodeError) throw this.#noNode(key, node.reason, unanswered)
      const outcome = await this.#ask(node, { k: 'place', p: this.name, n: key, rev: replacing }, PLACE_TIMEOUT)
      if ('reply' in outcome && outcome.reply.k === 'ok') {
        const placed = readPlaced(outcome.reply.value)
        if (placed.node === node) view.add(node)
        return placed
      }
      if ('reply' in outcome && outcome.reply.k === 'moved') return undefined
      if ('reply' in outcome && outcome.reply.k === 'err') {
        const error = decodeError(outcome.reply.error)
        if (!(error instanceof NodeOverloadedError)) throw error
      } else unanswered.add(node)
      // Overloaded, or gone: counted so until the next heartbeats say otherwise; placed again elsewhere.
      this.#refused.add(node)
      this.#view = undefined
    }
    throw this.#noNode(key, 'all-overloaded', unanswered)
  }

  /**
   * Why no node took `key`: `unreachable` if a node asked did not answer (it
   * counts as overloaded in this node's view until the next heartbeats, so the
   * strategy's own answer would say `all-overloaded`), else `reason`.
   */
  #noNode(key: string, reason: NoNodeError['reason'], unanswered: ReadonlySet<string>): NoNodeError {
    const live = this.#link.liveNodes().length
    if (reason !== 'no-nodes' && unanswered.size > 0) return new NoNodeError(key, 'unreachable', live, [...unanswered])
    return new NoNodeError(key, reason, live)
  }

  /**
   * The pool's load on each live node as this node sees it: its own now,
   * the others' as their last heartbeat carried it (a heartbeat period old
   * at most). What placements are decided from.
   *
   * @example
   * node.pool('carts').loads() // [{ node: 'a', keys: 120, overloaded: false }, { node: 'b', keys: 97, overloaded: false }]
   */
  loads(): NodeLoad[] {
    return this.#loads(this.#link.liveNodes())
  }

  #loads(live: readonly string[]): NodeLoad[] {
    return live.map((node) => {
      if (node === this.#link.self.node) return { node, keys: this.#activations.size, overloaded: this.#overloaded || this.#stopping }
      const load = readLoad(this.#link.heartbeat(node)?.load, this.name)
      return { node, keys: load.keys, overloaded: load.overloaded }
    })
  }

  /**
   * The pool across the cluster, read-only (what the inspector shows): each
   * live node's load as its heartbeat carried it (this node's now), and which
   * node the placement records put each key on, at most `limit` records
   * (default 1,000) read from the bucket, a few at a time. Throws
   * InvalidOptionError for a limit that is not a whole number from 0 to 100,000.
   *
   * @example
   * const { nodes, placements } = await node.pool('carts').census({ limit: 100 })
   */
  async census(options?: { readonly limit?: number }): Promise<PoolCensus> {
    const o = readOptions(options, 'census options')
    const limit = o.limit ?? DEFAULT_CENSUS_LIMIT
    if (!Number.isSafeInteger(limit) || (limit as number) < 0 || (limit as number) > 100_000) throw new InvalidOptionError('limit', 'a whole number from 0 to 100,000', limit)
    const nodes = this.#link.liveNodes().map((node) => ({ node, ...(node === this.#link.self.node ? this.load() : readLoad(this.#link.heartbeat(node)?.load, this.name)) }))
    const { placements, more } = limit === 0 ? { placements: [], more: false } : await this.#records.list(limit as number)
    return censusOf(this.name, nodes, placements, more, (record) => (record.node === this.#link.self.node ? this.#link.self.inc : this.#link.heartbeat(record.node)?.inc) === record.inc)
  }

  /** The strategy's view: the live nodes and the loads their heartbeats carried, rebuilt once a heartbeat period. */
  #currentView(): PlacementView {
    const now = Date.now()
    const live = this.#link.liveNodes()
    const nodes = live.join(' ')
    const cached = this.#view
    if (cached && cached.nodes === nodes && now - cached.at < this.#link.beatMs) return cached.view
    if (cached && now - cached.at >= this.#link.beatMs) this.#refused.clear()
    const view = new PlacementView(this.#loads(live).map((load) => (this.#refused.has(load.node) ? { ...load, overloaded: true } : load)))
    this.#view = { view, at: now, nodes }
    return view
  }

  // ---- the owning side ----------------------------------------------------------

  /** @internal A pool message for this node, from any node (itself included); `reply` answers it once. */
  _serve(request: PoolRequest, reply: (reply: Reply) => void): void {
    // Checked before anything is served: a node waking from a stall fences its keys before its first message,
    // whatever its timers do first (their renewal's write is still on its way).
    if (this.#config.kind.durable && this.#link.fenced()) this._fence()
    if (request.k === 'adopt') return void this.#adopt(request, reply)
    // A dead node's key this node is to take over (eager failover) and has not yet: its takeover starts now, and the
    // message waits for it below.
    if (!this.#activations.has(request.n)) this.#eager?.hurry(request.n)
    const activation = this.#activations.get(request.n)
    if (request.k === 'place') {
      if (activation?.phase === 'active') return reply(placedReply(this.#link.self, activation.epoch))
      if (activation) return this.#hold(activation, request, reply)
      return void this.#activate(request.n, request.rev, reply)
    }
    if (!activation) return request.o === ANY_EPOCH ? void this.#activate(request.n, null, reply, request) : reply({ k: 'moved' })
    // A record written for this node along with it (`w`) was not needed: the key is here (the write was refused).
    if (request.w !== undefined) reply = needless(reply)
    if (activation.phase !== 'active') return this.#hold(activation, request, reply)
    if (String(activation.epoch) !== request.o && request.o !== ANY_EPOCH) return reply({ k: 'moved' })
    const branch = this.#local.branch(request.n)
    if (!branch) return reply({ k: 'moved' })
    if (request.k === 'cast') {
      try {
        branch.cast(request.e as EventFromLogic<L>)
        return reply({ k: 'ok' })
      } catch (error) {
        return reply({ k: 'err', error: encodeError(error) })
      }
    }
    if (activation.inFlight >= this.#config.maxInFlightPerKey) {
      return reply({ k: 'err', error: encodeError(new KeyOverloadedError(this.name, request.n, this.#config.maxInFlightPerKey)) })
    }
    activation.inFlight++
    this.#count(1)
    const timeout = request.t ?? Infinity
    let answer: Promise<unknown>
    try {
      answer =
        request.k === 'call'
          ? branch.call(request.e as EventFromLogic<L>, { timeout, ...(request.d === undefined ? {} : { dedupe: request.d }) })
          : branch.callAll(request.es as EventFromLogic<L>[], { timeout })
    } catch (error) {
      answer = Promise.reject(error)
    }
    answer
      .then(
        (value) => reply({ k: 'ok', value }),
        (error: unknown) => reply({ k: 'err', error: encodeError(error) })
      )
      .finally(() => {
        activation.inFlight--
        this.#count(-1)
      })
  }

  #hold(activation: Activation, request: PoolRequest, reply: (reply: Reply) => void): void {
    if (request.k !== 'place' && activation.held.length >= this.#config.maxInFlightPerKey) {
      return reply({ k: 'err', error: encodeError(new KeyOverloadedError(this.name, request.n, this.#config.maxInFlightPerKey)) })
    }
    activation.held.push({ request, reply })
    this.#count(1)
    this.#adopted.hurry(request.n)
  }

  /**
   * Serves, in order, what waited for a key's activation or release. After
   * a placement by a first message that failed, messages sent on a guess
   * are bounced rather than each trying the placement again.
   */
  #unhold(activation: Activation, bounceGuesses = false): void {
    const held = activation.held.splice(0)
    this.#count(-held.length)
    for (const { request, reply } of held) {
      if (bounceGuesses && request.k !== 'place' && request.k !== 'adopt' && request.o === ANY_EPOCH) reply({ k: 'moved' })
      else this._serve(request, reply)
    }
  }

  /** Counts messages in flight on this node; the overloaded flag is set at the bound and cleared at 80% of it. */
  #count(delta: number): void {
    this.#inFlight += delta
    const bound = this.#config.maxInFlightPerNode
    if (this.#inFlight >= bound) this.#overloaded = true
    else if (this.#inFlight <= bound * CLEAR_AT) this.#overloaded = false
  }

  /**
   * A placement asked of this node: claim the record (one winner
   * cluster-wide), start the key, answer where it is. With `first` (a
   * message sent on a guess, {@link ANY_EPOCH}), deliver it instead of
   * answering, and bounce it if the key can't be placed here: its sender
   * looks the key up.
   */
  async #activate(key: string, replacing: number | null, reply: (reply: Reply) => void, first?: PoolRequest): Promise<void> {
    if (this.#overloaded || this.#stopping || (this.#config.kind.durable && this.#link.fenced())) {
      if (!first) return reply({ k: 'err', error: encodeError(new NodeOverloadedError(this.name, this.#link.self.node, this.#config.maxInFlightPerNode)) })
      // A record its sender wrote for this node goes first, or the key's next sender would find it here. If
      // JetStream's answer is lost the record stays, as one a failed release leaves: replaced once this node takes keys.
      const written = await this.#writtenFor(key, first)
      if (typeof written === 'number') await this.#records.release(key, written).catch(() => false)
      return reply({ k: 'moved' })
    }
    const activation = this.#activating(key)
    let epoch: number | undefined
    try {
      const written = await this.#writtenFor(key, first)
      if (written === 'refused') reply = needless(reply)
      epoch = typeof written === 'number' ? written : await this.#records.claim(key, this.#link.self, replacing)
      if (epoch === undefined) {
        // A record naming this node in this life, for a key it does not hold, is one its release could not delete
        // (NATS was out): stale, and this node's to replace.
        const found = await this.#records.get(key)
        if (found?.node === this.#link.self.node && found.inc === this.#link.self.inc) epoch = await this.#records.claim(key, this.#link.self, found.epoch)
      }
    } catch (error) {
      this.#activations.delete(key)
      reply(first ? { k: 'moved' } : { k: 'err', error: encodeError(error) })
      return this.#unhold(activation, first !== undefined)
    }
    if (epoch === undefined) {
      // Another node placed it first: say where (or, if it is already gone again, to look once more).
      this.#activations.delete(key)
      const winner = first ? undefined : await this.#records.get(key).catch(() => undefined)
      reply(winner ? placedReply(winner, winner.epoch) : { k: 'moved' })
      return this.#unhold(activation, first !== undefined)
    }
    activation.epoch = epoch
    let branch: Branch<L>
    try {
      branch = await this.#start(key, epoch)
    } catch (error) {
      await this.#records.release(key, epoch).catch(() => undefined)
      this.#activations.delete(key)
      reply(first ? { k: 'moved' } : { k: 'err', error: encodeError(error) })
      return this.#unhold(activation, first !== undefined)
    }
    this.#activated(key, activation, branch, epoch)
    // The first message before those that waited on the activation: they came after it. Served as placed here (a
    // record written for this node with it made this activation).
    if (first) this._serve(placedBy(first), reply)
    else reply(placedReply(this.#link.self, epoch))
    this.#unhold(activation)
  }

  /**
   * The revision of the record `first`'s sender wrote for this node, in
   * this life (see `#claimFor`); `refused` if its write was; undefined if it
   * wrote none, or for another life, or JetStream's answer did not come in
   * time (this node's own claim then finds the record if it landed, as one
   * of its own).
   */
  async #writtenFor(key: string, first: PoolRequest | undefined): Promise<number | 'refused' | undefined> {
    if (first === undefined || first.k === 'place' || first.k === 'adopt' || first.w === undefined || first.wi !== this.#link.self.inc) return undefined
    const ack = await this.#link.claimed(first.w, CLAIM_ACK_TIMEOUT)
    if (ack === 'lost') return undefined
    return ack === 'refused' ? ack : this.#records.claimedFor(key, ack.revision)
  }

  /** A new activation of `key`, holding what comes for it until it is active. */
  #activating(key: string): Activation {
    const activation: Activation = { phase: 'activating', epoch: 0, inFlight: 0, held: [] }
    this.#activations.set(key, activation)
    return activation
  }

  /**
   * The key's branch is up and its record names this node at `epoch`: it is
   * served, and released when it passivates, stops or is fenced.
   */
  #activated(key: string, activation: Activation, branch: Branch<L>, epoch: number): void {
    activation.phase = 'active'
    activation.epoch = epoch
    const release = () => this.#release(key, activation, branch)
    branch.on('passivate', release)
    branch.on('stop', release)
    // A write refused by the store's fence: a newer activation has written its marker elsewhere (this node stalled
    // past its lease). The branch retires at once rather than reading the store back and writing on behind it.
    branch.on('crash', ({ error }) => {
      if (isFenced(error)) this.#release(key, activation, branch, 0)
    })
  }

  /**
   * Starts the key's branch for the activation at `epoch`. A durable key's
   * first write is its activation marker (`Branch._mark`), fenced on the
   * state it recovered: from then on a former owner's writes are refused. If
   * one of them landed after the recovery, the marker is refused instead:
   * the branch stops and starts again from the store, that write included.
   * `moved` is what a move brought (a durable key's has no image: it
   * recovers from its store).
   */
  async #start(key: string, epoch: number, moved?: Moved): Promise<Branch<L>> {
    for (let attempt = 1; ; attempt++) {
      const branch = await this.#local._activate(key, moved)
      if (!this.#config.kind.durable) return branch
      try {
        await this.#mark(branch, epoch)
        return branch
      } catch (error) {
        await branch.stop({ timeout: 0 }).catch(() => undefined)
        if (!isFenced(error) || attempt >= MARK_ATTEMPTS) throw error
      }
    }
  }

  /** Writes a durable key's activation marker for `epoch` (refused by the store if another writer wrote since its recovery). */
  async #mark(branch: Branch<L>, epoch: number): Promise<void> {
    await branch._mark({ node: this.#link.self.node, inc: this.#link.self.inc, epoch }, String(epoch))
  }

  /**
   * Passivated, stopped or fenced: the key's branch stops here (given
   * `stopTimeout` for its deferred replies and writes) and its record is
   * deleted (CAS on its epoch); what came meanwhile is served after.
   */
  #release(key: string, activation: Activation, branch: Branch<L>, stopTimeout?: number): void {
    if (this.#activations.get(key) !== activation || activation.phase !== 'active') return
    activation.phase = 'releasing'
    const releasing: Promise<void> = (async () => {
      // A durable branch's writes settle before it stops: the next activation, anywhere, recovers them.
      if (branch.status !== 'stopped') await branch.stop(stopTimeout === undefined ? undefined : { timeout: stopTimeout }).catch(() => undefined)
      await this.#records.release(key, activation.epoch).catch(() => false)
      this.#activations.delete(key)
      this.#unhold(activation)
    })().finally(() => this.#releasing.delete(releasing))
    this.#releasing.add(releasing)
  }

  /**
   * @internal This node went most of a lease without renewing its heartbeat:
   * its durable keys stop here (their writes settle or are refused by the
   * store's fence, a newer activation having written since) and release
   * their records if still theirs; what comes for them meanwhile is bounced.
   * In-memory keys go on (there is no store to fence on).
   */
  _fence(): void {
    if (this.#config.kind.durable) this.#releaseAll()
  }

  /** Releases every active key here: from now on what comes for them is held, then bounced once each is released. */
  #releaseAll(): void {
    for (const [key, activation] of this.#activations) {
      if (activation.phase !== 'active') continue
      const branch = this.#local.branch(key)
      if (branch) this.#release(key, activation, branch)
      else this.#activations.delete(key)
    }
  }

  // ---- rebalancing (see rebalance.ts, which decides what moves where) ----------

  /** @internal The keys active here, the oldest activation first, each with whether it has messages in flight. */
  _holdings(): Holding[] {
    const holdings: Holding[] = []
    for (const [key, activation] of this.#activations) {
      if (activation.phase !== 'active') continue
      holdings.push({ key, busy: activation.inFlight > 0 || (this.#local.branch(key)?._queued ?? 0) > 0 })
    }
    return holdings
  }

  /** @internal Starts rebalancing and eager failover (once the node's pools are all up). */
  _startRebalancing(): void {
    this.#rebalancer?.start()
    this.#eager?.start()
  }

  // ---- eager failover (see eager.ts, which decides which keys this node takes) ----

  /** @internal This node's active keys with their epochs: its manifest. */
  _manifest(): ManifestEntry[] {
    const entries: ManifestEntry[] = []
    for (const [key, activation] of this.#activations) if (activation.phase === 'active') entries.push({ key, epoch: activation.epoch })
    return entries
  }

  /**
   * @internal Starts `key`, a dead node's, here: the placement a message
   * would ask for, replacing the record at `epoch` by compare-and-set
   * (`skipped` if it changed: the key was placed anew or released).
   */
  _takeOver(key: string, epoch: number): Promise<TakeoverOutcome> {
    if (this.#activations.has(key)) return Promise.resolve('skipped')
    return new Promise((resolve) => {
      void this.#activate(key, epoch, (reply) => {
        if (reply.k === 'err') return resolve('failed')
        resolve(reply.k === 'ok' && readPlaced(reply.value).node === this.#link.self.node ? 'taken' : 'skipped')
      })
    })
  }

  /** @internal A plan of `moves` moves was made (counted in `moves()`). */
  _planned(moves: number): void {
    this.#moves.plans++
    this.#moves.planned += moves
  }

  /** @internal A drift check was made, planning `moves` moves (counted in `moves()`). */
  _drift(moves: number): void {
    this.#moves.checks++
    if (moves === 0) return
    this.#moves.drifts++
    this.#moves.planned += moves
  }

  /** @internal `moves` planned moves were not made (their target left, or the leave's deadline passed): counted failed. */
  _skipped(moves: number): void {
    this.#moves.failed += moves
  }

  /** @internal This node is leaving: it takes no new key (placements and moves go elsewhere) from now on. */
  _leaving(): void {
    this.#stopping = true
  }

  /** @internal Moves this node's keys to the others before it leaves (rebalancing's graceful leave). */
  async _leave(): Promise<void> {
    await this.#rebalancer?.leave()
  }

  /**
   * @internal Hands the active key `key` to node `to`, with its state. Its
   * messages are held from now on; once what was delivered to it is
   * answered, its branch stops (a durable key's writes settle), its image
   * goes to `to` (`adopt`; none for a durable key, which recovers from its
   * store), and `to` starts it and takes its record over by compare-and-set
   * on the epoch frozen here; then what was held is bounced (its senders
   * find it on `to`): `moved`. Otherwise (not active here, still busy after
   * a while, a state that can't leave this process, `to` refused or did not
   * answer) it is served here again, with its state, under a record
   * rewritten by this node, so a late takeover by `to` fails: `refused` if
   * `to` takes no key at all now (overloaded, leaving), else `failed`.
   */
  async _moveOut(key: string, to: string): Promise<MoveOutcome> {
    const activation = this.#activations.get(key)
    const branch = this.#local.branch(key)
    if (activation?.phase !== 'active' || branch?.status !== 'running') {
      this.#moves.failed++
      return 'failed'
    }
    activation.phase = 'moving'
    if (!(await waitUntil(() => activation.inFlight === 0 && branch._queued === 0, MOVE_TIMEOUT))) {
      // Nothing stopped: it goes on here (released now if it stopped on its own meanwhile).
      activation.phase = 'active'
      if (stopped(branch)) this.#release(key, activation, branch)
      this.#unhold(activation)
      this.#moves.failed++
      return 'failed'
    }
    await branch.stop().catch(() => undefined)
    const moved: Moved = { image: branch._finalImage(), tables: branch._tables() }
    let request: PoolAdopt
    try {
      const image = this.#config.kind.durable ? undefined : jsonImage(this.#config.kind.logic, moved.image)
      request = { k: 'adopt', p: this.name, n: key, rev: activation.epoch, ...(image ? { image } : {}), tables: jsonTables(moved.tables) }
    } catch {
      return this.#stayed(key, activation, activation.epoch, moved)
    }
    const outcome = await this.#link.request(to, request, MOVE_TIMEOUT).catch(() => undefined)
    const reply = outcome && 'reply' in outcome ? outcome.reply : undefined
    if (reply?.k === 'ok') return this.#gone(key, activation)
    // Refused, or no answer: the record is taken back on the frozen epoch, so `to` can't take it over later.
    // If it has changed already, `to` took it (and its answer was lost).
    const epoch = await this.#records.claim(key, this.#link.self, activation.epoch).catch(() => null)
    const full = reply?.k === 'err' && reply.error.name === NodeOverloadedError.name
    if (epoch) return this.#stayed(key, activation, epoch, moved).then(() => (full ? 'refused' : 'failed'))
    const record = epoch === undefined ? await this.#records.get(key).catch(() => undefined) : undefined
    if (record?.node === to) return this.#gone(key, activation)
    // Neither here nor there (NATS out): dropped, as a failed release is; its next message places it again.
    this.#activations.delete(key)
    this.#unhold(activation)
    this.#moves.failed++
    return 'failed'
  }

  /**
   * The key moved: what waited for it here is bounced, and its senders (this node too) look it up again. The
   * routing cache is left as it is: a sender's lookup after a bounce skips the placement that bounced.
   */
  #gone(key: string, activation: Activation): 'moved' {
    this.#activations.delete(key)
    this.#moves.movedOut++
    this.#unhold(activation)
    return 'moved'
  }

  /** A move failed: the key starts here again from its state, under `epoch`, and what waited for it is served. */
  async #stayed(key: string, activation: Activation, epoch: number, moved: Moved): Promise<'failed'> {
    this.#moves.failed++
    try {
      this.#activated(key, activation, await this.#start(key, epoch, moved), epoch)
    } catch {
      // It can't start here again (the node is stopping): released, its next message places it elsewhere.
      await this.#records.release(key, epoch).catch(() => false)
      this.#activations.delete(key)
    }
    this.#unhold(activation)
    return 'failed'
  }

  /** The receiving end of a move: starts the key from the image it came with, then takes its record over. */
  async #adopt(request: PoolAdopt, reply: (reply: Reply) => void): Promise<void> {
    const key = request.n
    const refuse = (error: unknown) => reply({ k: 'err', error: encodeError(error) })
    if (this.#overloaded || this.#stopping || (this.#config.kind.durable && this.#link.fenced())) {
      return refuse(new NodeOverloadedError(this.name, this.#link.self.node, this.#config.maxInFlightPerNode))
    }
    if (this.#activations.has(key)) return refuse(new TransferFailedError(key, `node "${this.#link.self.node}" is placing it already`))
    let moved: Moved
    try {
      readName(key, 'key')
      moved = { image: request.image === undefined ? undefined : readImage(request.image), tables: readTables(request.tables) }
    } catch (error) {
      return refuse(error)
    }
    const activation = this.#activating(key)
    if (this.#config.kind.durable) return this.#adoptStored(key, request.rev, moved, activation, reply)
    let branch: Branch<L> | undefined
    let epoch: number | undefined
    let failure: unknown
    try {
      branch = await this.#local._activate(key, moved)
      epoch = await this.#records.claim(key, this.#link.self, request.rev)
      // A durable key's marker, once the record is this node's: its former owner stopped before the image left, so a
      // refusal here means some other writer got in, and the move fails.
      if (epoch !== undefined && this.#config.kind.durable) await this.#mark(branch, epoch)
    } catch (error) {
      failure = error
      // Claimed but not started here: the record goes, or the owner would read the move as made.
      if (epoch !== undefined) await this.#records.release(key, epoch).catch(() => false)
      epoch = undefined
    }
    if (branch && epoch !== undefined) {
      this.#activated(key, activation, branch, epoch)
      this.#moves.movedIn++
      reply(placedReply(this.#link.self, epoch))
    } else {
      // Its handlers are not on yet: this stop releases nothing (the record is not this node's).
      if (branch) await branch.stop().catch(() => undefined)
      this.#activations.delete(key)
      refuse(failure ?? new TransferFailedError(key, 'its placement changed during the move'))
    }
    this.#unhold(activation)
  }

  /**
   * A durable key handed over: its state is in the store (its former owner
   * stopped it, its writes settled, before asking), so the move is made once
   * the record is this node's, and answered then; the key starts here right
   * after, as a placement does (recovered from the store, its marker
   * written), its messages held meanwhile: `rebalance.batch` starts at a
   * time, a key with messages waiting first. A leaving node so hands over
   * thousands of keys in the time of their record writes, not of their
   * recoveries. A start that fails releases the record: the key's next
   * message places it again, from the store.
   */
  async #adoptStored(key: string, rev: number, moved: Moved, activation: Activation, reply: (reply: Reply) => void): Promise<void> {
    const refuse = (error: unknown): void => {
      this.#activations.delete(key)
      reply({ k: 'err', error: encodeError(error) })
      this.#unhold(activation)
    }
    let epoch: number | undefined
    try {
      epoch = await this.#records.claim(key, this.#link.self, rev)
    } catch (error) {
      return refuse(error)
    }
    if (epoch === undefined) return refuse(new TransferFailedError(key, 'its placement changed during the move'))
    activation.epoch = epoch
    this.#moves.movedIn++
    reply(placedReply(this.#link.self, epoch))
    const claimed = epoch
    this.#adopted.run(key, async () => {
      let branch: Branch<L>
      try {
        branch = await this.#start(key, claimed, moved)
      } catch {
        await this.#records.release(key, claimed).catch(() => false)
        this.#activations.delete(key)
        return this.#unhold(activation)
      }
      this.#activated(key, activation, branch, claimed)
      this.#unhold(activation)
    })
  }

  /** @internal Stops every key held here (their records released; durable state stays in the store) and takes no new one. */
  async _stop(): Promise<void> {
    this.#rebalancer?.close()
    await this.#eager?.close()
    this.#stopping = true
    // Each key's messages are held from now on (none is delivered to a stopping branch, which would refuse it) and
    // bounced once it is released: their senders place the key elsewhere and resend them, in order.
    this.#releaseAll()
    await this.#local.stop()
    while (this.#releasing.size > 0) await Promise.all(this.#releasing)
  }
}

/** Whether `branch` has stopped (read anew: it may have since it was last looked at). */
function stopped(branch: Branch): boolean {
  return branch.status === 'stopped'
}

/** `first`, which placed its key here, without the record written with it: served, it is not a message that found the key placed. */
function placedBy(first: PoolRequest): PoolRequest {
  if (first.k === 'place' || first.k === 'adopt' || first.w === undefined) return first
  const { w: _w, wi: _wi, ...request } = first
  return request
}

/** `reply`, its answer saying that the record written for the node along with the message was not needed (`wr`). */
function needless(reply: (reply: Reply) => void): (reply: Reply) => void {
  return (answer) => reply(answer.k === 'moved' ? answer : { ...answer, wr: true })
}

function placedReply(where: { readonly node: string; readonly inc: string }, epoch: number): Reply {
  const value: Placed = { node: where.node, inc: where.inc, epoch }
  return { k: 'ok', value }
}

/** A pool's load from a heartbeat (anything malformed reads as none: such a node takes keys as if empty). */
function readLoad(load: unknown, pool: string): PoolLoad {
  const entry = (load as Record<string, Partial<PoolLoad>> | undefined)?.[pool]
  const count = (n: unknown) => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : 0)
  return { keys: count(entry?.keys), inFlight: count(entry?.inFlight), overloaded: entry?.overloaded === true }
}

/** A write the store refused because another writer wrote since (a newer activation's marker, or a former owner's late write). */
function isFenced(error: unknown): boolean {
  return error instanceof SnapshotConflictError || error instanceof JournalConflictError
}
