import { afterAll, describe, expect, it } from 'vitest'
import { PostgresStore } from '../../src/postgres'
import { auditActivations } from '../../src/cluster'
import { startProxy, type Proxy } from '../support/proxy'
import { clusterServers, startNodeProcesses, stopAll, until, type NodeProcess } from './nodes'

const LEASE = 2000
const POOL = 'accounts'
const nodes: NodeProcess[] = []
const proxies: Proxy[] = []

// Registered before clusterServers: vitest runs after-hooks last first, so the proxies close once the nodes have stopped.
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()))
})
const servers = clusterServers(nodes)

/** Three nodes, a, b and c; c reaches PostgreSQL through `cPg`, a and b through `abPg`. */
async function startCluster(cluster: string, cPg: object = servers.pg.connection, abPg: object = servers.pg.connection): Promise<NodeProcess[]> {
  const env = (node: string, connection: object) => ({ nats: servers.nats.url, cluster, node, lease: LEASE, pg: connection, pools: true })
  const started = await startNodeProcesses([env('a', abPg), env('b', abPg), env('c', cPg)])
  nodes.push(...started)
  return started
}

type Adds = { acked: Record<string, string[]>; sent: Record<string, number>; errors: Record<string, number> }
const keysOn = (n: NodeProcess) => n.run<string[]>('poolKeys', { pool: POOL })
const ids = async (n: NodeProcess, key: string) => (await n.run<{ ids: string[] }>('poolCall', { pool: POOL, key, event: { type: 'get' } })).ids

/** Some key the strategy places on `on` (asked from `from`, which places it). */
async function keyOn(from: NodeProcess, on: NodeProcess, prefix: string): Promise<string> {
  for (let i = 0; ; i++) {
    const key = `${prefix}-${i}`
    await from.run('poolCall', { pool: POOL, key, event: { type: 'add', id: 'first' } })
    if ((await keysOn(on)).includes(key)) return key
  }
}

/** Three nodes; a adds to 30 keys (`<prefix>-<i>`) in a loop; resolves once each has an acknowledged add, with c's keys. */
async function addingTo(cluster: string, prefix: string) {
  const [a, b, c] = (await startCluster(cluster)) as [NodeProcess, NodeProcess, NodeProcess]
  const keys = Array.from({ length: 30 }, (_, i) => `${prefix}-${i}`)
  await a.run('addLoop', { names: keys, pool: POOL, every: 20 })
  await until(async () => {
    const { acked } = await a.run<Adds>('adds')
    return keys.every((k) => (acked[k]?.length ?? 0) > 0)
  }, 20_000, 'an acknowledged add to every key')
  const onC = await keysOn(c)
  expect(onC.length, 'bounded hashing put some keys on c').toBeGreaterThan(0)
  return { a, b, c, keys, onC }
}

describe('failover of a cluster pool\'s durable keys', () => {
  it('kill -9 of a node holding keys: they come back on the others on their next message, every acknowledged update there once and in order', async () => {
    const { a, b, c, keys, onC } = await addingTo('poolkill', 'k')

    await c.kill()
    const killedAt = Date.now()
    // Read once c is gone: nothing c holds is acknowledged after this but by another node.
    const atKill = (await a.run<Adds>('adds')).acked
    await until(async () => {
      const { acked } = await a.run<Adds>('adds')
      return onC.every((k) => (acked[k]?.length ?? 0) > (atKill[k]?.length ?? 0))
    }, LEASE + 20_000, "an acknowledged add to every key c held, after the kill")
    const back = Date.now() - killedAt
    if (process.env.KS_REPORT) console.info(`pool failover: ${onC.length} keys of c answering ${back} ms after kill -9 (lease ${LEASE} ms)`)
    const adds = await a.run<Adds>('stopAdds')
    if (process.env.KS_REPORT) console.info(`pool failover: calls failed meanwhile, by class: ${JSON.stringify(adds.errors)}`)

    // c's keys are now on a or b, each on one node only.
    const [onA, onB] = await Promise.all([keysOn(a), keysOn(b)])
    expect(onA.filter((k) => onB.includes(k))).toEqual([])
    for (const k of onC) expect([...onA, ...onB]).toContain(k)

    for (const key of keys) {
      const kept = await ids(b, key)
      // Each id at most once, in the order sent (every call was one at a time per key, never retried).
      expect(new Set(kept).size).toBe(kept.length)
      const order = kept.map((id) => Number(id.split('#')[1]))
      expect(order).toEqual([...order].sort((x, y) => x - y))
      // Every acknowledged add is there (a call that failed may have been applied too).
      for (const id of adds.acked[key] ?? []) expect(kept).toContain(id)
    }
    // The store's markers: one activation at a time; c's keys were activated again elsewhere after c's.
    const store = await PostgresStore.open({ config: servers.pg.connection, schema: 'cluster' })
    for (const key of keys) {
      const audit = await auditActivations(store, POOL, key)
      expect(audit.problems).toEqual([])
      if (onC.includes(key)) {
        // Activated again on a or b after c's (then perhaps moved between them: rebalancing on load drift).
        const activated = audit.activations.map((x) => x.node)
        const after = activated.slice(activated.lastIndexOf('c') + 1)
        expect(after.length).toBeGreaterThan(0)
        expect(after.filter((node) => node !== 'a' && node !== 'b')).toEqual([])
      }
    }
    await store.close()
    // Stopped now, not at the end of the file: the later tests run on a machine this one no longer loads.
    await stopAll([a, b])
  }, 60_000)

  it('a call in flight to a node that dies fails once its heartbeat lapses, with OutcomeUnknownError naming the node and key, not at its timeout', async () => {
    const [a, b, c] = (await startCluster('poollapse')) as [NodeProcess, NodeProcess, NodeProcess]
    const key = await keyOn(a, c, 'lapse')
    const hung = a.failure('poolCall', { pool: POOL, key, event: { type: 'hang' }, options: { timeout: 60_000 } })
    await until(async () => (await c.run<{ inFlight: number }>('poolLoad', { pool: POOL })).inFlight > 0, 10_000, 'the call to be in flight on c')
    const killedAt = Date.now()
    await c.kill()
    const failure = await hung
    const after = Date.now() - killedAt
    if (process.env.KS_REPORT) console.info(`a call in flight to a killed node failed ${after} ms after kill -9 (lease ${LEASE} ms)`)
    expect(failure.instanceOf).toBe('OutcomeUnknownError')
    expect(failure).toMatchObject({ code: 'OUTCOME_UNKNOWN', pool: POOL, key, nodeId: 'c' })
    // Within the lease and a heartbeat period or two, far from its 60 s timeout.
    expect(after).toBeLessThan(LEASE * 4)
    // The key answers again elsewhere.
    await until(async () => a.run('poolCall', { pool: POOL, key, event: { type: 'get' }, options: { timeout: 1000 } }).then(() => true, () => false), LEASE + 20_000, 'the key answering again')
    await stopAll([a, b])
  }, 60_000)

  it('a stalled node (SIGSTOP past its lease) loses its key: its write that lands late is refused by the store, its call fails typed, nothing acknowledged lost or doubled', async () => {
    // c reaches PostgreSQL through a proxy that can hold its writes on the way.
    const pgProxy = await startProxy(servers.pg.connection.port)
    proxies.push(pgProxy)
    const [a, b, c] = (await startCluster('poolstall', { ...servers.pg.connection, port: pgProxy.port })) as [NodeProcess, NodeProcess, NodeProcess]
    const key = await keyOn(a, c, 'safe')

    // c takes a call for its key and sends its write; the write stalls on its way, and c's process stops.
    pgProxy.hold()
    const late = c.run('poolCall', { pool: POOL, key, event: { type: 'add', id: 'late' }, options: { timeout: 60_000 } }).then(
      () => 'acknowledged',
      (error: { remote?: { instanceOf?: string } }) => error.remote?.instanceOf
    )
    await until(() => pgProxy.held > 0, 10_000, "c's write to reach the proxy")
    process.kill(c.pid, 'SIGSTOP')
    let acknowledged: string | undefined
    try {
      // c's heartbeat lapses; the key's next message places it on a or b, from the store, and an update is acknowledged.
      let attempt = 0
      await until(async () => {
        const id = `after-${attempt++}`
        const done = await a.run('poolCall', { pool: POOL, key, event: { type: 'add', id }, options: { timeout: 1000 } }).then(() => true, () => false)
        if (done) acknowledged = id
        return done
      }, LEASE + 20_000, 'the key answering on another node')
      const owners = (await Promise.all([a, b].map(keysOn))).flat()
      expect(owners.filter((k) => k === key)).toHaveLength(1)

      // Now c's stalled write lands: the store refuses it (its sequence is no longer the kept one).
      const answered = pgProxy.answered
      pgProxy.release()
      await until(() => pgProxy.answered > answered, 10_000, "PostgreSQL's answer to c's write")
      const store = await PostgresStore.open({ config: servers.pg.connection, schema: 'cluster' })
      const kept = (await store.loadSnapshot(`${POOL}/${key}`))?.data as { context: { ids: string[] } }
      await store.close()
      expect(kept.context.ids).not.toContain('late')
      expect(kept.context.ids.filter((id) => id === acknowledged)).toHaveLength(1)
    } finally {
      process.kill(c.pid, 'SIGCONT')
    }
    // c's call is refused, never acknowledged; c lets the key go and reaches it where it is now.
    const refusal = await late
    if (process.env.KS_REPORT) console.info(`stalled node: its late call failed with ${refusal}`)
    expect(['SnapshotConflictError', 'BranchStoppedError']).toContain(refusal)
    await until(async () => !(await keysOn(c)).includes(key), 20_000, 'c to let the key go')
    const seen = await ids(c, key)
    expect(seen.filter((id) => id === acknowledged)).toHaveLength(1)
    expect(seen).not.toContain('late')
    expect(seen[0]).toBe('first')
    const holders = (await Promise.all([a, b, c].map(keysOn))).flat().filter((k) => k === key)
    expect(holders).toHaveLength(1)
    await stopAll([a, b, c])
  }, 60_000)

  it('the activation marker closes the window: a stalled write landing after the new activation recovered, before it wrote, is kept and recovered, and the new activation is not refused', async () => {
    // c, and the others, reach PostgreSQL through proxies that can hold their writes on the way.
    const [cProxy, abProxy] = await Promise.all([startProxy(servers.pg.connection.port), startProxy(servers.pg.connection.port)])
    proxies.push(cProxy, abProxy)
    const [a, b, c] = (await startCluster('poolmark', { ...servers.pg.connection, port: cProxy.port }, { ...servers.pg.connection, port: abProxy.port })) as [NodeProcess, NodeProcess, NodeProcess]
    const key = await keyOn(a, c, 'mark')

    cProxy.hold()
    const late = c.run('poolCall', { pool: POOL, key, event: { type: 'add', id: 'late' }, options: { timeout: 60_000 } })
    await until(() => cProxy.held > 0, 10_000, "c's write to reach the proxy")
    process.kill(c.pid, 'SIGSTOP')
    try {
      await until(async () => !(await a.run<string[]>('nodes')).includes('c'), LEASE + 20_000, "c's heartbeat to lapse")
      // The key's next message places it on a or b: its recovery reads the store, and its first write is held.
      abProxy.holdAfterAnswer()
      const after = a.run('poolCall', { pool: POOL, key, event: { type: 'add', id: 'after' }, options: { timeout: 30_000 } })
      await until(() => abProxy.held > 0, 20_000, "the new activation's first write to reach the proxy")

      // c's stalled write lands now, between the new activation's recovery and its first write.
      const answered = cProxy.answered
      cProxy.release()
      await until(() => cProxy.answered > answered, 10_000, "PostgreSQL's answer to c's write")
      abProxy.release()
      // The new activation was not refused: its first write (the marker) was, and it recovered again, c's write included.
      await after
      expect(await ids(a, key)).toEqual(['first', 'late', 'after'])
    } finally {
      process.kill(c.pid, 'SIGCONT')
    }
    // c's write was accepted: its call is acknowledged, and that update is kept once.
    await late
    const holders = (await Promise.all([a, b, c].map(keysOn))).flat().filter((k) => k === key)
    expect(holders).toHaveLength(1)
    // The store's markers: c's activation, then the new one (its refused first marker left no trace).
    const store = await PostgresStore.open({ config: servers.pg.connection, schema: 'cluster' })
    const audit = await auditActivations(store, POOL, key)
    await store.close()
    const holder = (await keysOn(a)).includes(key) ? 'a' : 'b'
    expect(audit.activations.map((x) => x.node)).toEqual(['c', holder])
    expect(audit.problems).toEqual([])
    await stopAll([a, b, c])
  }, 60_000)

  it('a node leaving gracefully hands its keys over (moved to the others, each recovering there from the store), no call failed, none lost or doubled', async () => {
    const { a, b, c, keys, onC } = await addingTo('poolleave', 'g')

    const atStop = (await a.run<Adds>('adds')).acked
    const stoppedAt = Date.now()
    await c.stop()
    await until(async () => {
      const { acked } = await a.run<Adds>('adds')
      return onC.every((k) => (acked[k]?.length ?? 0) > (atStop[k]?.length ?? 0) + 2)
    }, 20_000, 'acknowledged adds to every key c held, after it left')
    if (process.env.KS_REPORT) console.info(`graceful leave: ${onC.length} keys of c answering elsewhere ${Date.now() - stoppedAt} ms after its stop began`)
    const adds = await a.run<Adds>('stopAdds')
    expect(adds.errors).toEqual({})

    const [onA, onB] = await Promise.all([keysOn(a), keysOn(b)])
    expect(onA.filter((k) => onB.includes(k))).toEqual([])
    for (const key of keys) {
      const kept = await ids(b, key)
      // Nothing failed: every add sent was acknowledged, and is there once, in order.
      expect(kept).toEqual(adds.acked[key])
    }
  }, 60_000)
})
