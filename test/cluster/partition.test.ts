import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterNames, nameKey } from '../../src/cluster/keys'
import { PostgresStore } from '../../src/postgres'
import { startNats, type NatsServer } from '../support/nats'
import { startPostgres, type PostgresServer } from '../support/postgres'
import { startProxy, type Proxy } from '../support/proxy'
import { startNodeProcesses, stopAll, until, type NodeProcess } from './nodes'

const LEASE = 2000
let nats: NatsServer
let pg: PostgresServer
let proxy: Proxy
let watcher: NatsConnection
const nodes: NodeProcess[] = []
const proxies: Proxy[] = []

beforeAll(async () => {
  ;[nats, pg] = await Promise.all([startNats(), startPostgres()])
  proxy = await startProxy(nats.port)
  proxies.push(proxy)
  watcher = await connect({ servers: nats.url })
}, 60_000)

afterAll(async () => {
  await stopAll(nodes)
  await watcher?.close()
  await Promise.all(proxies.map((p) => p.close()))
  await Promise.all([nats?.stop(), pg?.stop()])
})

async function startCluster(cluster: string, cPg: object = pg.connection, cNats = nats.url): Promise<NodeProcess[]> {
  const env = (node: string, url: string, connection: object) => ({ nats: url, cluster, node, lease: LEASE, pg: connection })
  const started = await startNodeProcesses([env('a', nats.url, pg.connection), env('b', nats.url, pg.connection), env('c', cNats, cPg)])
  nodes.push(...started)
  return started
}

/**
 * Every write of `name`'s lease as the NATS server recorded it: which node
 * wrote it and when (the server's timestamp, which its max-age counts from).
 */
async function leaseWrites(cluster: string, name: string): Promise<{ node: string; at: number }[]> {
  const kv = await new Kvm(watcher).open(clusterNames(cluster).leases)
  const writes: { node: string; at: number }[] = []
  const watch = await kv.watch({ key: nameKey(name) })
  void (async () => {
    for await (const entry of watch) {
      if (entry.operation === 'PUT') writes.push({ node: (entry.json() as { node: string }).node, at: entry.created.getTime() })
    }
  })()
  return writes
}

const holderOf = async (name: string, candidates: NodeProcess[]) => {
  for (const n of candidates) if ((await n.run<string[]>('held')).includes(name)) return n
  return undefined
}

describe('a partitioned node', () => {
  it('stops its durable branches before its lease expires (as the server recorded it), and takes nothing back when it returns', async () => {
    const [a, b, c] = await startCluster('partition', pg.connection, `nats://127.0.0.1:${proxy.port}`) as [NodeProcess, NodeProcess, NodeProcess]
    await c.run('start', { kind: 'account', name: 'vault' })
    const writes = await leaseWrites('partition', 'vault')
    for (let i = 0; i < 5; i++) await a.run('call', { name: 'vault', event: { type: 'inc' } })

    proxy.cut()
    await until(async () => (await holderOf('vault', [a, b])) !== undefined, LEASE + 8000, 'the failover of vault')
    // c could not renew after the cut: its lease ran out LEASE after its last recorded write.
    const expiry = Math.max(...writes.filter((w) => w.node === 'c').map((w) => w.at)) + LEASE
    const takeover = writes.find((w) => w.node !== 'c')!.at
    const stopped = (await c.run<Record<string, number>>('stoppedAt')).vault
    expect(stopped, 'c stopped vault').toBeDefined()
    expect(stopped!, `c stopped vault ${stopped! - expiry} ms after its lease expired`).toBeLessThan(expiry)
    expect(stopped!).toBeLessThan(takeover)
    expect((await c.failure('call', { name: 'vault', event: { type: 'inc' } })).instanceOf).toBe('ClusterUnavailableError')
    for (let i = 0; i < 3; i++) await a.run('call', { name: 'vault', event: { type: 'inc' } })

    proxy.restore()
    await until(async () => (await c.run('call', { name: 'vault', event: { type: 'get' } }).then(() => true, () => false)), 20_000, 'c routing again')
    const holders = (await Promise.all([a, b, c].map((n) => n.run<string[]>('held')))).flat()
    expect(holders).toEqual(['vault'])
    expect(await c.run('call', { name: 'vault', event: { type: 'get' } })).toMatchObject({ count: 8 })
  }, 60_000)
})

describe('a stalled node', () => {
  it('second writer: its write that lands after another node took the branch over is refused, and nothing acknowledged is lost', async () => {
    // c reaches PostgreSQL through a proxy that can hold its writes on the way.
    const pgProxy = await startProxy(pg.connection.port)
    proxies.push(pgProxy)
    const [a, b, c] = await startCluster('stall', { ...pg.connection, port: pgProxy.port }) as [NodeProcess, NodeProcess, NodeProcess]
    await c.run('start', { kind: 'account', name: 'safe' })
    for (const id of ['x1', 'x2']) await a.run('call', { name: 'safe', event: { type: 'add', id } })

    // c takes a call and sends its write; the write stalls on its way, and c's process stops (a GC pause, SIGSTOP).
    pgProxy.hold()
    const late = c.run('call', { name: 'safe', event: { type: 'add', id: 'late' }, options: { timeout: 60_000 } }).then(
      () => 'acknowledged',
      (error: { remote?: { instanceOf?: string } }) => error.remote?.instanceOf
    )
    await until(() => pgProxy.held > 0, 10_000, "c's write to reach the proxy")
    process.kill(c.pid, 'SIGSTOP')
    try {
      // Its lease runs out; another node takes the branch over from the store and acknowledges an update.
      let owner: NodeProcess | undefined
      await until(async () => (owner = await holderOf('safe', [a, b])) !== undefined, LEASE + 8000, 'the failover of safe')
      await owner!.run('call', { name: 'safe', event: { type: 'add', id: 'after' } })

      // Now c's stalled write lands.
      const answered = pgProxy.answered
      pgProxy.release()
      await until(() => pgProxy.answered > answered, 10_000, "PostgreSQL's answer to c's write")
      const store = await PostgresStore.open({ config: pg.connection, schema: 'cluster' })
      const kept = (await store.loadSnapshot('safe'))?.data as { context: { ids: string[] } }
      await store.close()
      expect(kept.context.ids).toEqual(['x1', 'x2', 'after'])
    } finally {
      process.kill(c.pid, 'SIGCONT')
    }
    // c's call is refused (the conflict, or c's fence stopping the branch first), never acknowledged.
    expect(['SnapshotConflictError', 'BranchStoppedError']).toContain(await late)
    await until(async () => !(await c.run<string[]>('held')).includes('safe'), 20_000, 'c to let safe go')
    expect(await c.run('call', { name: 'safe', event: { type: 'get' } })).toMatchObject({ ids: ['x1', 'x2', 'after'] })
  }, 60_000)
})
