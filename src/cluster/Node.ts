import { randomUUID } from 'node:crypto'
import type { AnyActorLogic } from 'xstate'
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node'
import type { KV } from '@nats-io/kv'
import { processWide } from '../shared/processWide'
import { asyncDispose, stopOnDispose } from '../shared/dispose'
import { _setNameResolver, type NameRoute } from '../api/messaging'
import { startDynamicSupervisor } from '../api/supervision'
import { Branch, branchNames, type AnyBranch } from '../supervisor/Branch'
import type { Supervisor } from '../supervisor/Supervisor'
import type { Tables } from '../keeper/Tables'
import type { RestorePoint } from '../worker/restorePoint'
import { InvalidOptionError, NameTakenError } from '../shared/errors'
import { readOptions } from '../shared/validate'
import { systemClock } from '../shared/clock'
import { snapshotUpgrader, type MigrationPlan } from '../keeper/durable/migrations'
import { ClusterUnavailableError, NoCompatibleNodeError, NotOwnerError, TransferFailedError, UnknownKindError, UnknownPoolError, VersionTooNewError, WireValueError } from './errors'
import type { ClusterPool } from './ClusterPool'
import { PoolHost } from './PoolHost'
import { requestNode } from './nodeRequest'
import { clusterNames, nameKey, nameOfKey, readName, readToken, type ClusterNames } from './keys'
import { Leases } from './leases'
import { unseenNameRoute } from './lookup'
import { loadNats, nats } from './nats'
import { readNodeOptions, type NodeConfig, type NodeKind, type NodeOptions } from './options'
import { ensureBucket } from './buckets'
import { waitUntil } from './waitUntil'
import { jsonImage, jsonTables, readImage, readTables, type TablesImage } from './image'
import { placeOn } from './placement'
import { RefusalLog } from './refusals'
import { Route, type Body, type Outcome, type Transport } from './routes'
import { bucketRecords, Sealer, type Records } from './sealed'
import { decodeError, decodeObject, decodeRequest, encode, encodeError, findWireProblem, type Reply, type Request } from './wire'

/** Options of `node.startBranch`. */
export interface GlobalBranchOptions {
  /** One of the node's kinds. */
  readonly kind: string
  /** The global name: unique in the whole cluster. */
  readonly name: string
  /** The logic's input, on the first start only (JSON: it travels with the branch). */
  readonly input?: unknown
}

/** What the specs bucket keeps of a failover-capable branch, so any node can start it again. */
interface Spec {
  readonly kind: string
  readonly input?: unknown
  /** The version of the kind's logic that last ran it (its state's version): no older node may start it. */
  readonly v: number
}

/** A spec of `kind` at version `v`, with `input` if given. */
function specOf(kind: string, input: unknown, v: number): Spec {
  return input === undefined ? { kind, v } : { kind, input, v }
}

/** A request held while its branch moves (or arrives), answered once it is settled. */
interface Held {
  readonly request: Exclude<Request, { k: 'adopt' }>
  readonly msg: Msg
}

/** The part of a lease after which a node that could not renew stops its durable global branches (checked every tenth). */
const FENCE_AT = 0.7

/** How long the node that hands a branch over waits for the other to take it. */
const ADOPT_TIMEOUT = 10_000

/** A tenure as long as a real one (a UUID): a message measured with it is as long as the one sent. */
const TENURE_STANDIN = randomUUID()

/** The process's one node, whichever copy of keepsake started it (ESM, CJS). */
const theNode = processWide('clusterNode.v1', (): { running: ClusterNode | undefined } => ({ running: undefined }))

/** What `_start` opens for a node. */
interface Parts {
  readonly config: NodeConfig
  readonly nc: NatsConnection
  readonly id: string
  readonly leases: Leases
  readonly specs: KV
  readonly specRecords: Records
  readonly supervisor: Supervisor
  readonly refusals: RefusalLog
  readonly sealer: Sealer | undefined
}

/**
 * Joins a cluster: connects to NATS, opens the cluster's buckets and starts
 * serving messages for the global names this node will hold. `call`, `cast`
 * and `send` with a global name then reach its branch from this process,
 * wherever it runs. One node per process (the name registry is the
 * process's). Rejects with a typed error for bad options; with
 * `MissingDriverError` naming the NATS packages to install if they are not;
 * with the NATS client's error if no server can be reached.
 *
 * @example
 * const node = await startNode({ servers: 'nats://127.0.0.1:4222', cluster: 'shop', kinds: { counter: { logic: counter } } })
 * await node.startBranch({ kind: 'counter', name: 'visits' })
 * await call('visits', { type: 'inc' }) // from any node of 'shop'
 */
export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  await loadNats()
  const config = readNodeOptions(options)
  const running = theNode.running
  if (running) throw new InvalidOptionError('startNode', 'called once per process (stop the running node first)', running.id)
  return ClusterNode._start(config)
}

/** A process's membership of a cluster; see `startNode`. */
export class ClusterNode {
  /** This node's id. */
  readonly id: string
  /** The cluster's name. */
  readonly cluster: string
  /** The supervisor of the global branches this node runs. */
  readonly supervisor: Supervisor
  /** Stops it (`stop()`), so `await using node = await startNode(...)` leaves the cluster at the end of the block. */
  declare [asyncDispose]: () => Promise<void>

  static {
    stopOnDispose(this.prototype)
  }

  readonly #config: NodeConfig
  readonly #nc: NatsConnection
  readonly #names: ClusterNames
  readonly #leases: Leases
  readonly #specs: KV
  readonly #specRecords: Records
  /** Signs what this node sends and checks what it receives, with a cluster key. */
  readonly #sealer: Sealer | undefined
  /** The signature of each signed request being answered: its reply is signed for it. */
  readonly #requestSignatures = new WeakMap<Msg, string>()
  readonly #subscription: Subscription
  readonly #routes = new Map<string, Route>()
  /** The kind and input of each global branch this node runs. */
  readonly #local = new Map<string, Spec>()
  /**
   * The global branches this node runs. One is in the process's name registry
   * (so local callers reach it directly) only while it is settled here: held,
   * not moving, and with none of this process's messages to it still in
   * transit through the cluster, which a direct call would overtake.
   */
  readonly #branches = new Map<string, AnyBranch>()
  /** Names moving away or arriving: their requests wait here. */
  readonly #held = new Map<string, Held[]>()
  /** Branches stopped to be handed over (or fenced): their stop releases nothing. */
  readonly #handedOver = new WeakSet<AnyBranch>()
  readonly #timers: ReturnType<typeof setInterval>[] = []
  /** The heartbeat's timer: kept while the node's keys are released on `stop`, so the others don't count it dead meanwhile. */
  #beating: ReturnType<typeof setInterval> | undefined
  /** Names being released in the bucket (a stopped branch's); `stop` waits for them. */
  readonly #releasing = new Set<Promise<void>>()
  readonly #previousResolver: ReturnType<typeof _setNameResolver>
  readonly #refusals: RefusalLog
  #connected = true
  #leaving = false
  /** The last time every lease was renewed (local clock). */
  #renewedAt = Date.now()
  /** Orphans seen on the previous scan that their preferred node did not take: anyone may take them now. */
  #orphansSeen = new Set<string>()
  /** Orphans no live node can start (none runs their version or later), as of the last scan: a call to one says why. */
  #stranded = new Map<string, { kind: string; version: number; live: Record<string, number | null> }>()
  /** The node's cluster pools (`startNode`'s `pools`), if it has any. */
  #pools: PoolHost | undefined

  private constructor({ config, nc, id, leases, specs, specRecords, supervisor, refusals, sealer }: Parts) {
    this.#config = config
    this.#nc = nc
    this.id = id
    this.cluster = config.cluster
    this.#names = clusterNames(config.cluster)
    this.#leases = leases
    this.#specs = specs
    this.#specRecords = specRecords
    this.supervisor = supervisor
    this.#refusals = refusals
    this.#sealer = sealer
    this.#subscription = nc.subscribe(this.#names.node(id), { callback: (error, msg) => {
      if (!error) this.#onRequest(msg)
    } })
    this.#previousResolver = _setNameResolver((name) => this.#routeFor(name))
    theNode.running = this
    void this.#watchConnection()
    const every = (ms: number, run: () => Promise<void>) => {
      let busy = false
      const timer = setInterval(() => {
        if (busy) return
        busy = true
        run().catch(() => undefined).finally(() => (busy = false))
      }, ms)
      timer.unref()
      this.#timers.push(timer)
      return timer
    }
    this.#beating = every(Math.max(100, Math.floor(config.leaseMs / 3)), () => (this.#connected ? this.#renew() : Promise.resolve()))
    // Checked often, so a cut-off node stops its durable branches well before its leases can expire.
    every(Math.max(25, Math.floor(config.leaseMs / 10)), () => this.#fenceIfExpired())
    every(Math.max(100, Math.floor(config.leaseMs / 2)), () => (this.#connected ? this.#adoptOrphans() : Promise.resolve()))
  }

  /** @internal Use `startNode`. */
  static async _start(config: NodeConfig): Promise<ClusterNode> {
    const id = config.nodeId ?? randomUUID().replaceAll('-', '').slice(0, 16)
    const nc = await nats().transport.connect(config.connection)
    const refusals = new RefusalLog(config.logger, systemClock, id)
    try {
      const names = clusterNames(config.cluster)
      const sealer = config.clusterKey && new Sealer(config.clusterKey)
      const records = (bucket: string) =>
        bucketRecords(bucket, sealer, (key, bytes, reason) => refusals.refused({ subject: `$KV.${bucket}.${key}`, bytes, reason }))
      const kvm = new (nats().kv.Kvm)(nc)
      const leasesKv = await ensureBucket(kvm, names.leases, { ttl: config.leaseMs, history: 1 })
      const specs = await ensureBucket(kvm, names.specs, { history: 1 })
      const kinds = Object.fromEntries([...config.plans].map(([kind, plan]) => [kind, plan.version]))
      const leases = new Leases(leasesKv, { node: id, inc: randomUUID(), kinds }, config.leaseMs, records(names.leases), sealer !== undefined)
      await leases.start()
      const supervisor = await startDynamicSupervisor({ id: `cluster:${config.cluster}:${id}` })
      const node = new ClusterNode({ config, nc, id, leases, specs, specRecords: records(names.specs), supervisor, refusals, sealer })
      try {
        node.#pools = await PoolHost.start({ config, nc, kvm, names, leases, sealer, refusals, transport: node.#transport, fenced: () => node.#expired() })
      } catch (error) {
        await node.stop()
        throw error
      }
      await nc.flush()
      return node
    } catch (error) {
      refusals.close()
      await nc.close()
      throw error
    }
  }

  /**
   * Starts a branch of `kind` under the global `name`, on this node. The name
   * is claimed in the cluster's bucket with compare-and-set: of any number of
   * nodes racing for it, one wins and the others reject with NameTakenError.
   * A durable kind's branch is recorded for failover.
   *
   * @example
   * const cart = await node.startBranch({ kind: 'cart', name: 'cart:42' })
   */
  async startBranch(options: GlobalBranchOptions): Promise<AnyBranch> {
    const o = readOptions(options, 'startBranch options')
    const name = readName(o.name)
    const kind = this.#kind(o.kind)
    const spec = specOf(o.kind as string, o.input, this.#version(o.kind as string))
    this.#assertConnected(`starting "${name}"`)
    if (branchNames.lookup(name) || this.#branches.has(name)) throw new NameTakenError(name)
    await this.#leases.claim(name)
    try {
      if (kind.durable) await this.#specs.put(nameKey(name), this.#specRecords.write(nameKey(name), JSON.stringify(spec)))
      return await this.#open(name, spec, undefined)
    } catch (error) {
      await this.#release(name)
      throw error
    }
  }

  /** The node holding `name`, as this node last heard. */
  owner(name: string): string | undefined {
    readName(name)
    if (this.#leases.holds(name)) return this.id
    return this.#leases.owner(name)?.node
  }

  /**
   * The cluster pool `name` (one of `startNode`'s `pools`): its `call`,
   * `cast` and `send` reach a key's one activation wherever it is. Throws
   * UnknownPoolError if this node was not started with it.
   *
   * @example
   * const carts = node.pool('carts')
   * await carts.call('cart-42', { type: 'add', sku: 'tea' })
   */
  pool<L extends AnyActorLogic = AnyActorLogic>(name: string): ClusterPool<L> {
    if (!this.#pools) throw new UnknownPoolError(String(name), [])
    return this.#pools.pool(name) as unknown as ClusterPool<L>
  }

  /** The names of this node's cluster pools (`startNode`'s `pools`). */
  poolNames(): string[] {
    return this.#pools?.names() ?? []
  }

  /** The nodes of the cluster whose heartbeat is fresh, this one included. */
  nodes(): string[] {
    return this.#leases.liveNodes()
  }

  /** The global names this node holds. */
  held(): string[] {
    return this.#leases.held()
  }

  /**
   * Moves the live branch `name`, which this node holds, to node `to`: its
   * state travels in xstate's persisted form (a durable branch's writes are
   * settled first and it resumes from the shared store), the name follows by
   * compare-and-set, and messages sent meanwhile, from any node, wait and are
   * then delivered there once, in order. On any failure it rejects with
   * TransferFailedError and the branch stays here, working. Its tables travel
   * with it when they hold plain data; a table holding anything else (a
   * device handle, a function) can't leave this process, and the transfer
   * fails naming the entry. A handle to the old branch object is stopped:
   * address a moved branch by name. A node whose logic for the kind is older
   * than this one's (a rolling upgrade half done) can't read the branch's
   * state: the move is refused with VersionTooNewError before anything
   * stops; a newer node migrates the state on arrival.
   *
   * @example
   * await node.transfer('cart:42', 'node-b')
   */
  async transfer(name: string, to: string): Promise<void> {
    readName(name)
    readToken(to, 'to')
    if (to === this.id && this.#leases.holds(name)) return
    const branch = this.#branches.get(name)
    const spec = this.#local.get(name)
    if (!this.#leases.holds(name) || !branch || !spec) throw new NotOwnerError(name, this.id, this.#leases.owner(name)?.node)
    this.#assertConnected(`moving "${name}"`)
    if (!this.nodes().includes(to)) throw new TransferFailedError(name, `node "${to}" is not in the cluster`)
    const version = this.#version(spec.kind)
    const theirs = this.#leases.kindVersion(to, spec.kind)
    if (theirs !== null && theirs < version) throw new VersionTooNewError(name, spec.kind, version, to, theirs)
    // Checked again once it has stopped: a table can change while its mailbox drains.
    try {
      jsonTables(branch._tables())
    } catch (error) {
      throw new TransferFailedError(name, 'one of its tables holds what cannot leave this process', { cause: error })
    }
    const held: Held[] = []
    this.#held.set(name, held)
    branchNames.unregister(name, branch)
    this.#handedOver.add(branch)
    if (!(await waitUntil(() => branch._queued === 0, ADOPT_TIMEOUT))) {
      // Still running here: it just takes its name and what waited for it back.
      this.#handedOver.delete(branch)
      this.#unhold(name, held)
      throw new TransferFailedError(name, 'its mailbox did not drain')
    }
    await branch.stop()
    const point = branch._finalImage()
    const tables = branch._tables()
    let image: RestorePoint | undefined
    let tablesImage: TablesImage
    try {
      image = jsonImage(this.#kind(spec.kind).logic, point)
    } catch (error) {
      await this.#reopen(name, spec, point, held, tables)
      throw new TransferFailedError(name, 'its state holds what cannot leave this process', { cause: error })
    }
    try {
      tablesImage = jsonTables(tables)
    } catch (error) {
      await this.#reopen(name, spec, point, held, tables)
      throw new TransferFailedError(name, 'one of its tables holds what cannot leave this process', { cause: error })
    }
    await this.#leases.freeze(name)
    const revision = this.#leases.revisionOf(name) as number
    let outcome: Outcome | undefined
    let failure: unknown
    try {
      outcome = await this.#request(to, { k: 'adopt', n: name, kind: spec.kind, input: spec.input, image, tables: tablesImage, rev: revision, ver: version }, ADOPT_TIMEOUT)
    } catch (error) {
      failure = error
    }
    const reply = outcome && 'reply' in outcome ? outcome.reply : undefined
    // No answer: the bucket says whether the other node took the name.
    const moved = reply ? reply.k === 'ok' : (await this.#leases.refresh(name).catch(() => undefined))?.node === to
    if (!moved) {
      this.#leases.thaw(name)
      await this.#reopen(name, spec, image, held, tables)
      // Its heartbeat did not say (yet): the node itself refused it.
      if (reply?.k === 'err' && reply.error.name === VersionTooNewError.name) throw decodeError(reply.error)
      const why = reply?.k === 'err' ? `node "${to}" refused it: ${reply.error.message}` : `node "${to}" did not answer`
      throw new TransferFailedError(name, why, { cause: failure })
    }
    this.#leases.forget(name)
    this.#local.delete(name)
    this.#branches.delete(name)
    this.#held.delete(name)
    for (const { msg } of held) this.#respond(msg, { k: 'moved' })
  }

  /**
   * Leaves the cluster: moves its cluster pools' keys, with their state, to
   * the other nodes (pools with `rebalance`; what is not moved within 10 s
   * is released), stops this node's global branches (their names are
   * released; durable ones are left for the other nodes to start again),
   * stops serving, and closes the connection.
   */
  async stop(): Promise<void> {
    if (this.#leaving) return
    this.#leaving = true
    // The heartbeat goes on until the keys are handed over and released, or the others would count this node dead
    // (and fail the calls in flight to it as of unknown outcome).
    await this.#pools?.leave()
    for (const timer of this.#timers) if (timer !== this.#beating) clearInterval(timer)
    await this.#pools?.stop()
    await this.supervisor.stop()
    await Promise.all(this.#releasing)
    clearInterval(this.#beating)
    this.#subscription.unsubscribe()
    this.#refusals.close()
    await this.#leases.stop()
    _setNameResolver(this.#previousResolver)
    if (theNode.running === this) theNode.running = undefined
    await this.#nc.drain().catch(() => undefined)
  }

  // ---- branches of this node ------------------------------------------------

  #kind(kind: unknown): NodeKind {
    const found = typeof kind === 'string' ? this.#config.kinds.get(kind) : undefined
    if (!found) throw new UnknownKindError(String(kind), [...this.#config.kinds.keys()])
    return found
  }

  /** The version of `kind`'s logic on this node. */
  #version(kind: string): number {
    return this.#config.plans.get(kind)?.version ?? 1
  }

  /**
   * A durable branch is about to start here: its failover record is raised
   * to this node's version first, so that once this node may have migrated
   * its stored state, no older node is chosen to start it again.
   */
  async #recordVersion(name: string, spec: Spec): Promise<Spec> {
    const version = this.#version(spec.kind)
    if (!this.#kind(spec.kind).durable || spec.v >= version) return spec
    const raised = specOf(spec.kind, spec.input, version)
    await this.#specs.put(nameKey(name), this.#specRecords.write(nameKey(name), JSON.stringify(raised)))
    return raised
  }

  /** Starts the branch for `name` (held by this node) under the node's supervisor, from `image` and with `tables` if given. */
  async #open(name: string, spec: Spec, image: RestorePoint | undefined, tables?: Tables): Promise<AnyBranch> {
    const kind = this.#kind(spec.kind)
    const options = {
      logic: kind.logic,
      name,
      input: spec.input,
      ...(kind.intensity ? { intensity: kind.intensity } : {}),
      ...(kind.idleTimeout === undefined ? {} : { idleTimeout: kind.idleTimeout }),
      ...(kind.durable ? { durable: { ...kind.durable, id: name } } : {})
    }
    const branch = (await this.supervisor.startChild({ id: name, restart: 'temporary', start: () => Branch._open(options, image, undefined, tables) })) as AnyBranch
    this.#local.set(name, spec)
    this.#branches.set(name, branch)
    branch.on('stop', () => {
      if (this.#branches.get(name) === branch) this.#branches.delete(name)
      if (this.#handedOver.has(branch)) return
      this.#local.delete(name)
      const release: Promise<void> = this.#release(name, !this.#leaving)
        .catch(() => undefined)
        .finally(() => this.#releasing.delete(release))
      this.#releasing.add(release)
    })
    // Branch._open registered it; it stays registered only if nothing of ours to it is still in transit.
    if (!this.#settled(name)) branchNames.unregister(name, branch)
    return branch
  }

  #settled(name: string): boolean {
    return this.#leases.holds(name) && !this.#held.has(name) && (this.#routes.get(name)?.idle ?? true)
  }

  /** Puts a settled branch (back) in the process's name registry, for direct local calls. */
  #settle(name: string): void {
    const branch = this.#branches.get(name)
    if (branch && branch.status !== 'stopped' && this.#settled(name) && !branchNames.lookup(name)) branchNames.register(name, branch)
  }

  /** A transfer failed: the branch starts again here, with its own tables, then gets what waited for it; if it can't, its name is released. */
  async #reopen(name: string, spec: Spec, image: RestorePoint | undefined, held: Held[], tables: Tables): Promise<void> {
    try {
      await this.#open(name, spec, image, tables)
    } catch (error) {
      // It can't run here (a newer node may have migrated its stored state before the move failed):
      // the name goes, and a durable branch fails over to a node that can read it.
      await this.#release(name, false).catch(() => undefined)
      throw error
    } finally {
      this.#unhold(name, held)
    }
  }

  /** Delivers, in order, what waited while `name` moved or arrived, then lets local callers at it directly again. */
  #unhold(name: string, held: readonly Held[]): void {
    this.#held.delete(name)
    for (const { request, msg } of held) this.#deliver(request, msg)
    this.#settle(name)
  }

  /** Releases `name` in the bucket; with `forGood`, its failover record too. */
  async #release(name: string, forGood = true): Promise<void> {
    await this.#leases.release(name)
    if (forGood) await this.#specs.delete(nameKey(name)).catch(() => undefined)
  }

  // ---- serving the network ----------------------------------------------------

  #onRequest(msg: Msg): void {
    const refuse = (reason: string) => this.#refusals.refused({ subject: msg.subject, bytes: msg.data.byteLength, reason })
    let request: Request | undefined
    try {
      request = decodeRequest(msg.data, this.cluster, this.#config.maxMessageBytes)
    } catch (error) {
      return refuse((error as Error).message)
    }
    if (!request) return // another cluster's: not ours to answer
    if (this.#sealer) {
      // Unanswered: a sender without the key learns nothing, not even that a node is there.
      const opened = this.#sealer.openRequest(msg.subject, msg.data, msg.headers)
      if ('refused' in opened) return refuse(opened.refused)
      this.#requestSignatures.set(msg, opened.signature)
    }
    if (request.k === 'adopt') return void this.#adopt(request, msg)
    const held = this.#held.get(request.n)
    if (held) held.push({ request, msg })
    else this.#deliver(request, msg)
  }

  /** Hands a request to the branch, in arrival order; `moved` if this node does not hold the name (in the sender's tenure). */
  #deliver(request: Exclude<Request, { k: 'adopt' }>, msg: Msg): void {
    // Only for the tenure the sender addressed: after a move away and back, its older messages bounce, so none overtakes.
    const branch = this.#leases.tenureOf(request.n) === request.o ? this.#branches.get(request.n) : undefined
    if (!branch) return this.#respond(msg, { k: 'moved' })
    const answer = (promise: Promise<unknown>) =>
      promise.then(
        (value) => this.#respond(msg, { k: 'ok', value }),
        (error: unknown) => this.#respond(msg, { k: 'err', error: encodeError(error) })
      )
    try {
      switch (request.k) {
        case 'cast':
          branch.cast(request.e)
          return this.#respond(msg, { k: 'ok' })
        case 'call':
          return void answer(branch.call(request.e, { timeout: request.t ?? Infinity, ...(request.d === undefined ? {} : { dedupe: request.d }) }))
        case 'callAll':
          return void answer(branch.callAll(request.es, { timeout: request.t ?? Infinity }))
      }
    } catch (error) {
      this.#respond(msg, { k: 'err', error: encodeError(error) })
    }
  }

  /** The receiving end of a transfer: start the branch from its image, then take the name over. */
  async #adopt(request: Extract<Request, { k: 'adopt' }>, msg: Msg): Promise<void> {
    const name = request.n
    const refuse = (error: unknown) => this.#respond(msg, { k: 'err', error: encodeError(error) })
    let image: RestorePoint
    let tables: Tables
    // A node that sends no version is an older keepsake: its kinds are version 1.
    const version = request.ver ?? 1
    try {
      readName(name)
      const kind = this.#kind(request.kind)
      const mine = this.#version(request.kind)
      if (version > mine) throw new VersionTooNewError(name, request.kind, version, this.id, mine)
      image = readImage(request.image)
      tables = readTables(request.tables)
      if (branchNames.lookup(name) || this.#branches.has(name) || this.#held.has(name) || this.#leases.holds(name)) throw new NameTakenError(name)
      // A durable branch is migrated by its recovery, from the store; any other's state is migrated here, before it starts.
      if (!kind.durable && version < mine && image.kind === 'persisted') {
        // Its delayed events are of the old version too, and a kind without durable has no event adapter to upgrade them:
        // refused rather than fired at logic that may not understand them (nor dropped, which loses them silently).
        if (image.delays.length > 0) throw new TransferFailedError(name, pendingDelaysReason(image.delays, version, mine))
        image = this.#migrated(name, request.kind, request.input, version, image)
      }
    } catch (error) {
      return refuse(error)
    }
    const held: Held[] = []
    this.#held.set(name, held)
    try {
      const spec = await this.#recordVersion(name, specOf(request.kind, request.input, version))
      const branch = await this.#open(name, spec, image, tables)
      let took = false
      try {
        took = await this.#leases.takeOver(name, request.rev)
      } finally {
        if (!took) {
          this.#handedOver.add(branch)
          this.#local.delete(name)
          await branch.stop()
        }
      }
      if (!took) return refuse(new TransferFailedError(name, 'its lease changed during the move'))
      this.#respond(msg, { k: 'ok' })
    } catch (error) {
      refuse(error)
    } finally {
      this.#unhold(name, held)
    }
  }

  /** A transferred state of an older version, brought to this node's by the kind's migrations; throws SnapshotMigrationError. */
  #migrated(name: string, kind: string, input: unknown, version: number, image: Extract<RestorePoint, { kind: 'persisted' }>): RestorePoint {
    const upgrade = snapshotUpgrader(this.#kind(kind).logic, this.#config.plans.get(kind) as MigrationPlan, input)
    const { data } = upgrade(name, { seq: 0, version, data: image.snapshot })
    return { ...image, snapshot: data as typeof image.snapshot }
  }

  #respond(msg: Msg, reply: Reply): void {
    if (!msg.reply) return
    let bytes: Uint8Array
    try {
      if (reply.k === 'ok') assertWireable(reply.value, 'reply')
      bytes = this.#encodeWithin(reply, 'reply')
    } catch (error) {
      bytes = encode(this.cluster, { k: 'err', error: encodeError(error) })
    }
    const signature = this.#requestSignatures.get(msg)
    try {
      msg.respond(bytes, this.#sealer && signature ? { headers: this.#sealer.sealReply(signature, bytes) } : undefined)
    } catch {
      // Disconnected: the sender's own timeout answers it.
    }
  }

  // ---- reaching other nodes ----------------------------------------------------

  #routeFor(name: string): NameRoute {
    if (!this.#leases.owner(name) && !this.#held.has(name) && !this.#branches.has(name)) {
      return unseenNameRoute(name, async () => {
        this.#assertConnected(`a call to "${name}"`)
        const owner = await this.#leases.refresh(name).catch(() => {
          throw new ClusterUnavailableError(this.id, `a lookup of "${name}"`)
        })
        const stranded = owner ? undefined : this.#stranded.get(name)
        if (stranded) throw new NoCompatibleNodeError(name, stranded.kind, stranded.version, stranded.live)
        return owner ? this.#routeFor(name) : undefined
      })
    }
    let route = this.#routes.get(name)
    if (!route) this.#routes.set(name, (route = new Route(name, this.#leases, this.#transport, () => this.#settle(name))))
    return route
  }

  readonly #transport: Transport = {
    assertConnected: (what) => this.#assertConnected(what),
    assertSendable: (body) => {
      const path = pathOf(body)
      assertWireable(body.k === 'callAll' ? body.es : body.e, path)
      this.#encodeWithin({ ...body, o: TENURE_STANDIN } as Request, path)
    },
    request: (node, body, timeoutMs) => this.#request(node, body, timeoutMs),
    dropped: (name, event, error) =>
      this.#config.logger.warn({ node: this.id, name, eventType: event.type, reason: error.message }, 'keepsake cluster: a cast could not be delivered')
  }

  #request(node: string, body: Request, timeoutMs: number): Promise<Outcome> {
    const parts = { nc: this.#nc, sealer: this.#sealer, refusals: this.#refusals, cluster: this.cluster, maxMessageBytes: this.#config.maxMessageBytes, self: this.id }
    return requestNode(parts, this.#names.node(node), this.#encodeWithin(body, pathOf(body)), timeoutMs, node)
  }

  /**
   * `body` as bytes, within the size limit: this node's `maxMessageBytes` and
   * the server's max_payload (a larger message would be refused by either).
   * Throws WireValueError naming `path` otherwise.
   */
  #encodeWithin(body: Request | Reply, path: string): Uint8Array {
    let bytes: Uint8Array
    try {
      bytes = encode(this.cluster, body)
    } catch (error) {
      // Checked before it was queued: it was changed since.
      throw new WireValueError(path, `can't be made JSON (${(error as Error).message})`)
    }
    const limit = Math.min(this.#config.maxMessageBytes, this.#nc.info?.max_payload ?? Infinity)
    if (bytes.byteLength > limit) throw new WireValueError(path, `makes a message of ${bytes.byteLength} bytes, over the ${limit}-byte limit (maxMessageBytes, or the NATS server's max_payload)`)
    return bytes
  }

  #assertConnected(what: string): void {
    if (!this.#connected || this.#nc.isClosed()) throw new ClusterUnavailableError(this.id, what)
  }

  async #watchConnection(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'disconnect') this.#connected = false
      else if (status.type === 'reconnect') {
        this.#connected = true
        void this.#renew().catch(() => undefined)
        this.#leases.rewatch()
      }
    }
  }

  // ---- leases and failover -------------------------------------------------------

  /** Renews every lease; a name found taken by another node is stopped here (never two live owners). */
  async #renew(): Promise<void> {
    // Taken before the writes: the server dates each lease from its write, which comes later.
    const started = Date.now()
    const lost = await this.#leases.renew()
    this.#renewedAt = started
    for (const name of lost) this.#fence(name)
  }

  /**
   * Unable to renew for most of a lease (cut off from NATS, or the bucket unreachable): the other nodes will soon start this
   * node's failover-capable branches again, so they stop here first (never two
   * live owners). Other global branches go on, and take their names back on
   * reconnect if no one else took them.
   */
  async #fenceIfExpired(): Promise<void> {
    if (!this.#expired()) return
    this.#pools?.fence()
    for (const [name, spec] of this.#local) if (this.#kind(spec.kind).durable) this.#fence(name)
  }

  /** Whether this node went most of a lease without renewing (its leases and its heartbeat). */
  #expired(): boolean {
    return Date.now() - this.#renewedAt >= this.#config.leaseMs * FENCE_AT
  }

  /** Stops the local branch of a name this node no longer holds, releasing nothing. */
  #fence(name: string): void {
    const branch = this.#branches.get(name)
    this.#leases.forget(name)
    this.#local.delete(name)
    if (!branch) return
    this.#handedOver.add(branch)
    void branch.stop({ timeout: 0 })
  }

  /**
   * Starts the failover-capable branches whose node is gone (their record is
   * in the specs bucket, their lease expired). Placement: each orphan may go
   * to the live nodes that run its kind at its version or later (their
   * heartbeats say; an older one can't read its state), and of those prefers
   * one (rendezvous hashing, so they spread); the others take it only if it
   * is still an orphan at their next scan. The lease's compare-and-set
   * decides every race. An orphan no live node may take waits, and a call to
   * it says so (NoCompatibleNodeError).
   */
  async #adoptOrphans(): Promise<void> {
    if (this.#leaving) return
    const present = await this.#leases.presentNames()
    const orphans: { name: string; spec: Spec }[] = []
    for await (const key of await this.#specs.keys()) {
      const name = nameOfKey(key)
      if (name === undefined || present.has(name)) continue
      const entry = await this.#specs.get(key)
      const spec = entry?.operation === 'PUT' ? this.#readSpec(key, entry.string()) : undefined
      if (spec) orphans.push({ name, spec })
    }
    const live = this.#leases.liveNodes()
    const seen = new Set<string>()
    const stranded = new Map<string, { kind: string; version: number; live: Record<string, number | null> }>()
    const starts: { name: string; spec: Spec }[] = []
    for (const { name, spec } of orphans) {
      const versions = live.map((node) => [node, this.#leases.kindVersion(node, spec.kind)] as const)
      const eligible = versions.filter(([, v]) => v !== null && v >= spec.v).map(([node]) => node)
      if (eligible.length === 0) {
        stranded.set(name, { kind: spec.kind, version: spec.v, live: Object.fromEntries(versions) })
        continue
      }
      if (!eligible.includes(this.id) || !this.#config.kinds.has(spec.kind)) continue
      seen.add(name)
      if (placeOn(name, eligible) !== this.id && !this.#orphansSeen.has(name)) continue
      starts.push({ name, spec })
    }
    this.#stranded = stranded
    this.#orphansSeen = seen
    for (const { name, spec } of starts) {
      if (branchNames.lookup(name) || this.#branches.has(name)) continue
      try {
        await this.#leases.claim(name)
      } catch {
        continue // another node took it first
      }
      try {
        await this.#open(name, await this.#recordVersion(name, spec), undefined)
      } catch (error) {
        await this.#leases.release(name).catch(() => undefined)
        this.#config.logger.warn({ node: this.id, name, reason: (error as Error).message }, 'keepsake cluster: a failover start failed')
      }
    }
  }

  /** A failover record, checked like a message from the network (signed, with a cluster key); refused and logged otherwise. */
  #readSpec(key: string, stored: string): Spec | undefined {
    const text = this.#specRecords.read(key, stored)
    if (text === undefined) return undefined
    try {
      const value = decodeObject(text)
      if (typeof value.kind !== 'string') throw new Error('"kind" must be a string')
      // A record without a version was written by an older keepsake: version 1.
      if (value.v !== undefined && (!Number.isSafeInteger(value.v) || (value.v as number) < 1)) throw new Error('"v" must be an integer >= 1')
      return specOf(value.kind, value.input, (value.v as number | undefined) ?? 1)
    } catch (error) {
      this.#refusals.refused({ subject: `$KV.${this.#names.specs}.${key}`, bytes: Buffer.byteLength(stored), reason: `a failover record: ${(error as Error).message}` })
      return undefined
    }
  }
}

/** Throws WireValueError for the first field of `value` (at `path`, one level under a message's top) that can't cross as it is. */
function assertWireable(value: unknown, path: string): void {
  const found = findWireProblem(value, path, 1)
  if (found) throw new WireValueError(found.path, found.what)
}

/** What a message carries, as its errors name it. */
function pathOf(body: Body | Request): string {
  return body.k === 'callAll' ? 'events' : body.k === 'adopt' ? 'the transferred branch' : 'event'
}

/** Why a branch with delayed events pending can't move to a node with a newer version of its kind's logic. */
function pendingDelaysReason(delays: readonly { readonly event: { readonly type: string } }[], version: number, mine: number): string {
  const types = [...new Set(delays.map((d) => JSON.stringify(d.event.type)))].join(', ')
  return `it has ${delays.length} pending delayed event(s) (${types}) of version ${version}, which version ${mine} of its logic may not understand and a kind without durable has no event adapter to upgrade: move it once they have fired`
}
