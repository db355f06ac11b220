import { describe, expect, it } from 'vitest'
import { clusterServers, startNodeProcess, until, type NodeProcess } from './nodes'

const LEASE = 2000
const nodes: NodeProcess[] = []
const servers = clusterServers(nodes)

const names = Array.from({ length: 20 }, (_, i) => `account-${i}`)

describe('failover of durable branches', () => {
  it('kill -9 of the node holding 20 durable branches: they come back on the others with every acknowledged update; the returning node starts no duplicates', async () => {
    const start = (node: string) => startNodeProcess({ nats: servers.nats.url, cluster: 'failover', node, lease: LEASE, pg: servers.pg.connection })
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map(start))) as [NodeProcess, NodeProcess, NodeProcess]
    nodes.push(a, b, c)
    await c.run('startAll', { kind: 'account', names })
    expect(await c.run('held')).toEqual([...names].sort())

    await a.run('callLoop', { names, every: 20 })
    const acked = () => a.run<Record<string, number>>('acked')
    await until(async () => Object.keys(await acked()).length === 20, 10_000, 'acknowledged calls to all 20')

    await c.kill()
    const killedAt = Date.now()
    const atKill = await acked()
    const holders = async () => (await Promise.all([a.run<string[]>('held'), b.run<string[]>('held')])).flat().sort()
    await until(async () => (await holders()).length === 20, LEASE + 10_000, 'all 20 restarted on a and b')
    const back = Date.now() - killedAt
    if (process.env.KS_REPORT) console.info(`failover: all 20 back ${back} ms after kill -9`)
    // Lease (2 s), the orphan scan (every lease / 2, plus one more when the preferred node did not take it) and the restarts.
    expect(back).toBeLessThan(LEASE + 2 * (LEASE / 2) + 3000)
    expect(await holders()).toEqual([...names].sort())
    const [onA, onB] = await Promise.all([a.run<string[]>('held'), b.run<string[]>('held')])
    expect(onA.length).toBeGreaterThan(0)
    expect(onB.length).toBeGreaterThan(0)

    // Calls go on working after the failover.
    await until(async () => {
      const now = await acked()
      return names.every((n) => (now[n] ?? 0) > (atKill[n] ?? 0))
    }, 15_000, 'calls to every branch after the failover')

    // The killed node comes back with the same id: it starts nothing that another node holds.
    const c2 = await start('c')
    nodes.push(c2)
    // Absence needs a window: three of its orphan scans (every lease / 2).
    await new Promise((r) => setTimeout(r, 1.5 * LEASE))
    expect(await c2.run('held')).toEqual([])
    const final = await a.run<Record<string, number>>('stopLoop')
    const all = [...(await a.run<string[]>('held')), ...(await b.run<string[]>('held')), ...(await c2.run<string[]>('held'))]
    expect(all.sort()).toEqual([...names].sort())

    // Every acknowledged increment is in the state (calls that timed out may have been applied too).
    const counts: Record<string, number> = {}
    for (const name of names) {
      const { count } = await b.run<{ count: number }>('call', { name, event: { type: 'get' } })
      expect(count).toBeGreaterThanOrEqual(final[name] as number)
      counts[name] = count
    }

    // A node that leaves gracefully releases its names at once: the others start its branches again, state intact.
    const leaving = await a.run<string[]>('held')
    await a.stop()
    await until(async () => [...(await b.run<string[]>('held')), ...(await c2.run<string[]>('held'))].length === 20, LEASE + 10_000, 'a\'s branches on b and c')
    for (const name of leaving) expect(await b.run('call', { name, event: { type: 'get' } })).toMatchObject({ count: counts[name] })
  }, 90_000)
})
