import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from '../support/nats'
import { startPostgres, type PostgresServer } from '../support/postgres'
import { startProxy, type Proxy } from '../support/proxy'
import { startNodeProcess, type NodeProcess } from './nodes'

const LEASE = 2000
let nats: NatsServer
let pg: PostgresServer
let proxy: Proxy
let nodes: NodeProcess[] = []

beforeAll(async () => {
  ;[nats, pg] = await Promise.all([startNats(), startPostgres()])
  proxy = await startProxy(nats.port)
}, 60_000)

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await proxy?.close()
  await Promise.all([nats?.stop(), pg?.stop()])
})

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('a partitioned node', () => {
  it('stops its durable branches before another node takes them over, and takes nothing back when it returns', async () => {
    const start = (node: string, url: string) => startNodeProcess({ nats: url, cluster: 'partition', node, lease: LEASE, pg: pg.connection })
    const [a, b, c] = await Promise.all([start('a', nats.url), start('b', nats.url), start('c', `nats://127.0.0.1:${proxy.port}`)])
    nodes = [a, b, c]
    await c.run('start', { kind: 'account', name: 'vault' })
    for (let i = 0; i < 5; i++) await a.run('call', { name: 'vault', event: { type: 'inc' } })

    proxy.cut()
    // c stops its durable branch itself (it can no longer renew); only then may a or b take it.
    let fencedFirst: boolean | undefined
    await until(async () => {
      const [onA, onB] = await Promise.all([a.run<string[]>('held'), b.run<string[]>('held')])
      const taken = onA.includes('vault') || onB.includes('vault')
      if (taken && fencedFirst === undefined) fencedFirst = false
      if (!taken && (await c.run<string[]>('held')).length === 0) fencedFirst ??= true
      return taken
    }, LEASE + 8000, 'the failover of vault')
    expect(fencedFirst).toBe(true)
    expect((await c.failure('call', { name: 'vault', event: { type: 'inc' } })).instanceOf).toBe('ClusterUnavailableError')
    for (let i = 0; i < 3; i++) await a.run('call', { name: 'vault', event: { type: 'inc' } })

    proxy.restore()
    await until(async () => (await c.run('call', { name: 'vault', event: { type: 'get' } }).then(() => true, () => false)), 20_000, 'c routing again')
    const holders = (await Promise.all([a, b, c].map((n) => n.run<string[]>('held')))).flat()
    expect(holders).toEqual(['vault'])
    expect(await c.run('call', { name: 'vault', event: { type: 'get' } })).toMatchObject({ count: 8 })
  }, 60_000)
})
