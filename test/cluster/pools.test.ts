import { generateKeyPairSync } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { deferReply, InvalidEventError, InvalidLogicError, InvalidOptionError, MemoryStore, replyTo, type ReplyToken } from '../../src/index'
import { ClusterNode, KeyOverloadedError, localFirst, NoNodeError, UnknownPoolError, WireValueError, type ClusterPoolKind } from '../../src/cluster'
import { readNodeOptions, type NodeOptions } from '../../src/cluster/options'
import { loadNats } from '../../src/cluster/nats'
import { placementKey } from '../../src/cluster/keys'
import { startNats, type NatsServer } from '../support/nats'

// Issue 21, stage 2: cluster pools (docs/design/cluster-pools.md). Several nodes in this one
// process (ClusterNode._start: startNode allows one per process, for the name registry, which
// pools do not use).

const LEASE = 1500
let nats: NatsServer
let running: ClusterNode[] = []

beforeAll(async () => {
  ;[nats] = await Promise.all([startNats(), loadNats()])
}, 30_000)

afterEach(async () => {
  await Promise.all(running.map((node) => node.stop()))
  running = []
})

afterAll(async () => {
  await nats?.stop()
})

type JournalEvent = { type: 'add'; id: string } | { type: 'get' } | { type: 'hold' }

/** Deferred replies of `hold`, by key: the test answers them. */
const holds: { token: ReplyToken }[] = []
/** Every start of a key's branch, anywhere (the nodes share this process). */
const starts: string[] = []

/** Records ids in order; `hold` answers only when the test says (a call kept in flight). */
const journal = fromTransition((ids: readonly string[], event: JournalEvent) => {
  if (event.type === 'add') return [...ids, event.id]
  if (event.type === 'hold') holds.push({ token: deferReply() })
  return ids
}, [] as readonly string[])

const kind = (extra: Partial<ClusterPoolKind> = {}): ClusterPoolKind => ({
  logic: journal,
  input: (key: string) => {
    starts.push(key)
    return undefined
  },
  ...extra
})

async function startNodes(cluster: string, ids: readonly string[], pools: NodeOptions['pools'], more: Partial<NodeOptions> = {}): Promise<ClusterNode[]> {
  const nodes = await Promise.all(ids.map((nodeId) => ClusterNode._start(readNodeOptions({ servers: nats.url, cluster, nodeId, leaseTtl: LEASE, pools, ...more }))))
  running.push(...nodes)
  await until(() => nodes.every((node) => node.nodes().length === ids.length), 'every node sees the others')
  return nodes
}

/** Resolves once `check` holds (asked every 20 ms); rejects after 15 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The node a key's placement record names, read from the bucket. */
async function recorded(cluster: string, pool: string, key: string): Promise<string | undefined> {
  const nc = await connect({ servers: nats.url })
  try {
    const kv = await new Kvm(nc).open(`keepsake_${cluster}_placements`)
    const entry = await kv.get(placementKey(pool, key))
    return entry?.operation === 'PUT' ? (JSON.parse(entry.string()) as { node: string }).node : undefined
  } finally {
    await nc.close()
  }
}

const holders = (nodes: readonly ClusterNode[], pool: string, key: string) => nodes.filter((n) => n.pool(pool).keys().includes(key)).map((n) => n.id)

describe('cluster pools', () => {
  it('two nodes racing for new keys produce one activation each (bounded hashing, and local-first where each asker places on itself)', async () => {
    const nodes = await startNodes('race', ['a', 'b'], { hashed: kind(), local: kind({ strategy: localFirst() }) })
    const [a, b] = nodes as [ClusterNode, ClusterNode]
    const keys = Array.from({ length: 16 }, (_, i) => `race-${i}`)
    for (const pool of ['hashed', 'local']) {
      starts.length = 0
      await Promise.all(keys.flatMap((key) => [a.pool(pool).call(key, { type: 'add', id: 'a' }), b.pool(pool).call(key, { type: 'add', id: 'b' })]))
      for (const key of keys) {
        const on = holders(nodes, pool, key)
        expect(on).toHaveLength(1)
        expect(await recorded('race', pool, key)).toBe(on[0])
        expect([...((await a.pool(pool).call(key, { type: 'get' })) as string[])].sort()).toEqual(['a', 'b'])
      }
      // One start per key, on whichever node won: no second activation began and was thrown away.
      expect([...starts].sort()).toEqual([...keys].sort())
    }
  }, 60_000)

  it('calls and casts from every node reach the same activation; the routing cache agrees', async () => {
    const nodes = await startNodes('every', ['a', 'b', 'c'], { carts: kind() })
    const keys = Array.from({ length: 30 }, (_, i) => `cart-${i}`)
    await Promise.all(nodes.flatMap((node) => keys.map((key) => node.pool('carts').call(key, { type: 'add', id: node.id }))))
    for (const node of nodes) for (const key of keys) node.pool('carts').cast(key, { type: 'add', id: `${node.id}-cast` })
    for (const key of keys) {
      // Each node's get comes after its own cast (one sender's order); the others' casts may still be on their way.
      const answers = await Promise.all(nodes.map((node) => node.pool('carts').call(key, { type: 'get' }) as Promise<string[]>))
      answers.forEach((ids, i) => expect(ids).toEqual(expect.arrayContaining(['a', 'b', 'c', `${nodes[i]!.id}-cast`])))
      const all = (await nodes[0]!.pool('carts').call(key, { type: 'get' })) as string[]
      expect([...all].sort()).toEqual(['a', 'a-cast', 'b', 'b-cast', 'c', 'c-cast'])
      const cached = new Set(nodes.map((node) => node.pool('carts').placement(key)))
      expect([...cached]).toEqual(holders(nodes, 'carts', key))
    }
    // Spread by bounded hashing: every node holds some, none more than ceil(1.25 x 10).
    for (const node of nodes) expect(node.pool('carts').keys().length).toBeGreaterThan(0)
    for (const node of nodes) expect(node.pool('carts').keys().length).toBeLessThanOrEqual(13)
  }, 60_000)

  it("a caller's messages keep their order across passivation (record released, state in the store) and placement on another node", async () => {
    const store = new MemoryStore()
    const pools = { orders: kind({ strategy: localFirst(), durable: { store }, idleTimeout: 300 }) }
    const [a, b] = (await startNodes('order', ['a', 'b'], pools)) as [ClusterNode, ClusterNode]
    const send = (from: number, to: number) => {
      for (let i = from; i <= to; i++) a.pool('orders').cast('k', { type: 'add', id: `a${i}` })
    }
    send(1, 40)
    await a.pool('orders').call('k', { type: 'add', id: 'a41' })
    expect(holders([a, b], 'orders', 'k')).toEqual(['a'])
    await until(() => a.pool('orders').load().keys === 0, 'the key passivates on a')
    expect(await recorded('order', 'orders', 'k')).toBeUndefined()
    // b places it again (local-first: on b), from the store; a's cached route is stale and bounces.
    await b.pool('orders').call('k', { type: 'add', id: 'b1' })
    expect(holders([a, b], 'orders', 'k')).toEqual(['b'])
    send(42, 80)
    const ids = (await a.pool('orders').call('k', { type: 'get' })) as string[]
    expect(ids.filter((id) => id.startsWith('a'))).toEqual(Array.from({ length: 80 }, (_, i) => `a${i + 1}`))
    // b1 was answered before a42 was sent: it sits between a41 and a42.
    expect(ids.indexOf('b1')).toBe(41)
    expect(a.pool('orders').placement('k')).toBe('b')
  }, 60_000)

  it("an in-memory pool's passivation drops the key's state (documented); without rebalancing, a stopping node releases its keys and the others place them", async () => {
    const [a, b] = (await startNodes('memory', ['a', 'b'], { brief: kind({ idleTimeout: 200 }), kept: kind({ rebalance: false }) })) as [ClusterNode, ClusterNode]
    expect(a.pool('brief').send('k', { type: 'add', id: 'x' })).toEqual({ type: 'add', id: 'x' })
    expect(await a.pool('brief').call('k', { type: 'get' })).toEqual(['x'])
    const owner = [a, b].find((node) => node.pool('brief').keys().includes('k'))!
    await until(() => owner.pool('brief').load().keys === 0, 'the key passivates')
    expect(await b.pool('brief').call('k', { type: 'get' })).toEqual([])
    const keys = Array.from({ length: 6 }, (_, i) => `kept-${i}`)
    await Promise.all(keys.map((key) => b.pool('kept').call(key, { type: 'add', id: 'y' })))
    const onA = a.pool('kept').keys()
    expect(onA.length).toBeGreaterThan(0)
    running = running.filter((node) => node !== a)
    await a.stop()
    for (const key of onA) expect(await recorded('memory', 'kept', key)).toBeUndefined()
    // a's keys start again on b, their in-memory state gone with a; b's kept theirs.
    for (const key of keys) expect(await b.pool('kept').call(key, { type: 'get' })).toEqual(onA.includes(key) ? [] : ['y'])
    expect(b.pool('kept').keys().sort()).toEqual([...keys].sort())
  }, 30_000)

  it('bounds in flight per key (KeyOverloadedError, at the sender and at the owner) and per node (an overloaded node is not chosen; none left: NoNodeError)', async () => {
    const pools = { gate: kind({ strategy: localFirst(), maxInFlightPerKey: 2, maxInFlightPerNode: 3 }) }
    const [a, b] = (await startNodes('bounds', ['a', 'b'], pools)) as [ClusterNode, ClusterNode]
    const gateA = a.pool('gate')
    const gateB = b.pool('gate')
    holds.length = 0
    const held = [gateA.call('k1', { type: 'hold' }), gateA.call('k1', { type: 'hold' })]
    await expect(gateA.call('k1', { type: 'get' })).rejects.toBeInstanceOf(KeyOverloadedError)
    await until(() => holds.length === 2, 'both holds reached k1')
    // Another sender: refused by the owner, which has 2 in flight for k1.
    const refused = await gateB.call('k1', { type: 'get' }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(KeyOverloadedError)
    expect(refused).toMatchObject({ pool: 'gate', key: 'k1', limit: 2 })
    held.push(gateA.call('k2', { type: 'hold' }))
    await until(() => holds.length === 3 && gateA.load().overloaded, 'a is overloaded')
    // b learns it from a's heartbeat, with a's keys.
    await until(() => gateB.loads().some((load) => load.node === 'a' && load.overloaded === true && load.keys === 2), "a's heartbeat says so")
    // a asks for a new key: local-first would keep it, but a is overloaded: it goes to b.
    await gateA.call('k3', { type: 'add', id: 'x' })
    expect(holders([a, b], 'gate', 'k3')).toEqual(['b'])
    held.push(gateB.call('k3', { type: 'hold' }), gateB.call('k3', { type: 'hold' }), gateB.call('k4', { type: 'hold' }))
    await until(() => holds.length === 6 && gateB.load().overloaded, 'b is overloaded')
    const none = await gateA.call('k5', { type: 'get' }).catch((error: unknown) => error)
    expect(none).toBeInstanceOf(NoNodeError)
    expect(none).toMatchObject({ reason: 'all-overloaded' })
    for (const { token } of holds) replyTo(token, 'done')
    expect(await Promise.all(held)).toEqual(Array.from({ length: 6 }, () => 'done'))
    expect(gateA.load()).toMatchObject({ inFlight: 0, overloaded: false })
    await gateB.call('k5', { type: 'add', id: 'y' })
  }, 60_000)

  it("a placement request the chosen node never answers (live heartbeat, no reply) fails NoNodeError 'unreachable' naming it, not 'all-overloaded'", async () => {
    const pools = { gate: kind({ strategy: localFirst() }) }
    const [a, b] = (await startNodes('silent', ['a', 'b'], pools)) as [ClusterNode, ClusterNode]
    // a takes no new key (as when leaving): local-first goes to b, which takes the request and never answers it.
    a.pool('gate')._leaving()
    const serve = b.pool('gate')._serve.bind(b.pool('gate'))
    b.pool('gate')._serve = () => undefined
    try {
      // The placement's own timeout (10 s) runs out first; then b counts as refusing and no node is left.
      const none = await a.pool('gate').call('k1', { type: 'get' }, { timeout: 60_000 }).catch((error: unknown) => error)
      expect(none).toBeInstanceOf(NoNodeError)
      expect(none).toMatchObject({ key: 'k1', reason: 'unreachable', nodes: ['b'] })
      expect((none as NoNodeError).message).toContain('"b" did not answer')
    } finally {
      b.pool('gate')._serve = serve
    }
  }, 60_000)

  it("a record naming a node that is not live, or a key its node does not hold, is replaced (compare-and-set on its revision) on the key's next message", async () => {
    const nodes = await startNodes('ghost', ['a', 'b'], { carts: kind() })
    const stale = Array.from({ length: 8 }, (_, i) => `stale-${i}`)
    const nc = await connect({ servers: nats.url })
    try {
      const kv = await new Kvm(nc).open('keepsake_ghost_placements')
      await kv.create(placementKey('carts', 'k'), JSON.stringify({ node: 'gone', inc: 'long-ago' }))
      await kv.create(placementKey('carts', 'k2'), JSON.stringify({ node: 'a', inc: 'an-older-life' }))
      // One naming a live node in its life, for a key it does not hold (a release that could not delete it).
      const beat = await (await new Kvm(nc).open('keepsake_ghost_leases')).get('node.a')
      // Several, so bounded hashing sends some of their first lookups to b, which names a, which bounces them.
      const inc = (JSON.parse(beat!.string()) as { inc: string }).inc
      for (const key of stale) await kv.create(placementKey('carts', key), JSON.stringify({ node: 'a', inc }))
    } finally {
      await nc.close()
    }
    for (const key of ['k', 'k2', ...stale]) {
      expect(await nodes[1]!.pool('carts').call(key, { type: 'add', id: 'x' })).toEqual(['x'])
      const on = holders(nodes, 'carts', key)
      expect(on).toHaveLength(1)
      expect(await recorded('ghost', 'carts', key)).toBe(on[0])
    }
  }, 30_000)

  it('with a cluster key, pool messages and placement records are signed and checked', async () => {
    const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const nodes = await startNodes('signed', ['a', 'b'], { carts: kind() }, { clusterKey: { privateKey } })
    const keys = Array.from({ length: 8 }, (_, i) => `signed-${i}`)
    await Promise.all(nodes.flatMap((node) => keys.map((key) => node.pool('carts').call(key, { type: 'add', id: node.id }))))
    for (const key of keys) {
      expect([...((await nodes[0]!.pool('carts').call(key, { type: 'get' })) as string[])].sort()).toEqual(['a', 'b'])
      expect(holders(nodes, 'carts', key)).toHaveLength(1)
    }
  }, 30_000)

  it('bad input is refused with typed errors, nothing sent', async () => {
    const [a] = (await startNodes('bad', ['a'], { carts: kind() })) as [ClusterNode]
    expect(() => a.pool('nope')).toThrow(UnknownPoolError)
    await expect(a.pool('carts').call('', { type: 'get' })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(a.pool('carts').call('k', { type: 'add', id: 10n } as never)).rejects.toBeInstanceOf(WireValueError)
    expect(() => a.pool('carts').cast('k', { type: 'add', id: 10n } as never)).toThrow(WireValueError)
    expect(() => a.pool('carts').cast('k', 'add' as never)).toThrow(InvalidEventError)
    expect(a.pool('carts').keys()).toEqual([])
    const options = (pools: unknown) => () => readNodeOptions({ servers: nats.url, cluster: 'bad', pools })
    expect(options({ carts: { logic: 5 } })).toThrow(InvalidLogicError)
    expect(options({ 'a.b': kind() })).toThrow(InvalidOptionError)
    expect(options({ carts: kind({ maxInFlightPerKey: 0 }) })).toThrow(InvalidOptionError)
    expect(options({ carts: { ...kind(), strategy: 'nearest' } })).toThrow(InvalidOptionError)
    expect(options({ carts: { ...kind(), idel: 5 } })).toThrow(/idel/)
  }, 30_000)
})
