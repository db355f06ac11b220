import { describe, expect, it } from 'vitest'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { PostgresStore } from '../../src/postgres'
import { auditActivations } from '../../src/cluster'
import { shareOf, type FailoverStats } from '../../src/cluster/eager'
import type { RebalanceStats } from '../../src/cluster/rebalance'
import { manifestKey } from '../../src/cluster/manifest'
import { clusterServers, startNodeProcesses, stopAll, until, type NodeProcess } from './nodes'

// Issue 21, eager failover (docs/design/cluster-pools.md, section 6): with `failover: 'eager'`, a dead node's
// durable keys come back on the live nodes once its heartbeat lapses, before any message is sent to them.
// Three node processes, their own nats-server and PostgreSQL.

const LEASE = 2000
const POOL = 'accounts'
const nodes: NodeProcess[] = []
const servers = clusterServers(nodes)

type Adds = { acked: Record<string, string[]> }
const keysOn = (n: NodeProcess) => n.run<string[]>('poolKeys', { pool: POOL })

/** The keys c's manifest lists now (its chunks read from the placements bucket). */
async function manifestOf(cluster: string, node: string): Promise<string[]> {
  const nc = await connect({ servers: servers.nats.url })
  try {
    const kv = await new Kvm(nc).open(`keepsake_${cluster}_placements`)
    const listed: string[] = []
    for (let n = 0; ; n++) {
      const entry = await kv.get(manifestKey(POOL, node, n))
      if (entry?.operation !== 'PUT') return listed
      listed.push(...(JSON.parse(entry.string()) as { keys: [string, number][] }).keys.map(([key]) => key))
    }
  } finally {
    await nc.close()
  }
}

describe("eager failover of a cluster pool's durable keys", () => {
  it('kill -9 of a node: its keys start on the others with no message sent to them, each once, every acknowledged update kept', async () => {
    const env = (node: string) => ({ nats: servers.nats.url, cluster: 'eager', node, lease: LEASE, pg: servers.pg.connection, pools: true, failover: 'eager' as const })
    const [a, b, c] = (await startNodeProcesses([env('a'), env('b'), env('c')])) as [NodeProcess, NodeProcess, NodeProcess]
    nodes.push(a, b, c)
    // Keys placed once every node has planned for the membership: none moves on a join from then on.
    await until(async () => (await Promise.all([a, b, c].map((n) => n.run<RebalanceStats>('poolMoves', { pool: POOL })))).every((m) => m.plans >= 1), 20_000, 'every node settled')
    const keys = Array.from({ length: 30 }, (_, i) => `e-${i}`)
    await a.run('addLoop', { names: keys, pool: POOL, every: 20 })
    await until(async () => {
      const { acked } = await a.run<Adds>('adds')
      return keys.every((k) => (acked[k]?.length ?? 0) > 0)
    }, 20_000, 'an acknowledged add to every key')
    const { acked } = await a.run<Adds>('stopAdds')
    const onC = await keysOn(c)
    expect(onC.length, 'bounded hashing put some keys on c').toBeGreaterThan(0)
    await until(async () => (await manifestOf('eager', 'c')).sort().join() === onC.join(), 10_000, "c's manifest to list its keys")

    await c.kill()
    const killedAt = Date.now()
    // No message to any key from now on: they come back by themselves.
    await until(async () => {
      const held = [...(await keysOn(a)), ...(await keysOn(b))]
      return onC.every((key) => held.includes(key))
    }, LEASE + 20_000, "c's keys active on a or b")
    if (process.env.KS_REPORT) console.info(`eager failover: ${onC.length} keys of c active again ${Date.now() - killedAt} ms after kill -9 (lease ${LEASE} ms), no message sent`)

    const [onA, onB] = await Promise.all([keysOn(a), keysOn(b)])
    expect(onA.filter((key) => onB.includes(key))).toEqual([])
    const [fa, fb] = await Promise.all([a, b].map((n) => n.run<FailoverStats>('poolFailovers', { pool: POOL })))
    for (const stats of [fa, fb]) expect(stats).toMatchObject({ lapses: 1, listed: onC.length, failed: 0 })
    expect(fa!.shared + fb!.shared).toBe(onC.length)
    expect(fa!.taken + fb!.taken).toBe(onC.length)

    for (const key of keys) {
      const { ids } = await b.run<{ ids: string[] }>('poolCall', { pool: POOL, key, event: { type: 'get' } })
      expect(ids).toEqual(acked[key])
    }
    const store = await PostgresStore.open({ config: servers.pg.connection, schema: 'cluster' })
    for (const key of onC) {
      const audit = await auditActivations(store, POOL, key)
      expect(audit.problems).toEqual([])
      // Activated again on a or b after c's (then perhaps moved between them: rebalancing on load drift).
      const activated = audit.activations.map((x) => x.node)
      expect(activated.slice(activated.lastIndexOf('c') + 1)[0], key).toBe(onA.includes(key) ? 'a' : onB.includes(key) ? 'b' : 'a or b')
    }
    await store.close()
    await stopAll([a, b])
  }, 90_000)

  it("a dead node's keys called as it lapses: each call joins the takeover where it is that node's share, so each key is activated once, there; then the dead node's manifest is removed", async () => {
    // Local-first: a caller's placement would put every key on its own node, while the others' eager takeovers start
    // their shares (one at a time here, so the calls come first for most): two nodes after one key's record, unless
    // the call goes where the takeover is.
    const failover = { mode: 'eager' as const, batch: 1 }
    const env = (node: string) => ({ nats: servers.nats.url, cluster: 'eager-calls', node, lease: LEASE, pg: servers.pg.connection, pools: true, failover, localFirst: true })
    const [a, b, c] = (await startNodeProcesses([env('a'), env('b'), env('c')])) as [NodeProcess, NodeProcess, NodeProcess]
    nodes.push(a, b, c)
    const keys = Array.from({ length: 24 }, (_, i) => `r-${i}`)
    // Placed by c's calls, so on c.
    await Promise.all(keys.map((key) => c.run('poolCall', { pool: POOL, key, event: { type: 'add', id: `${key}#c` } })))
    expect(await keysOn(c)).toEqual([...keys].sort())
    await until(async () => (await manifestOf('eager-calls', 'c')).length === keys.length, 10_000, "c's manifest to list its keys")
    const shares = new Map(keys.map((key) => [key, shareOf(key, ['a', 'b'])]))
    expect(new Set(shares.values()), 'both a and b have a share').toEqual(new Set(['a', 'b']))

    // a calls every key from before the kill until each has answered after it.
    await a.run('addLoop', { names: keys, pool: POOL, every: 20 })
    await c.kill()
    await until(async () => {
      const held = [...(await keysOn(a)), ...(await keysOn(b))]
      return keys.every((key) => held.includes(key))
    }, LEASE + 20_000, "c's keys active on a or b")
    const after = (await a.run<Adds>('adds')).acked
    await until(async () => {
      const { acked } = await a.run<Adds>('adds')
      return keys.every((key) => (acked[key]?.length ?? 0) > (after[key]?.length ?? 0))
    }, 20_000, 'an acknowledged add to every key after the failover')
    const { acked } = await a.run<Adds>('stopAdds')

    const [onA, onB] = await Promise.all([keysOn(a), keysOn(b)])
    for (const key of keys) expect(shares.get(key) === 'a' ? onA : onB, key).toContain(key)
    // Each survivor sees the lapse by its own clock, up to a heartbeat after the other: a's calls may have reached
    // the share's node before it did (placed there, once, by the call), so its count is waited for, not read at once.
    const stats = () => Promise.all([a, b].map((n) => n.run<FailoverStats>('poolFailovers', { pool: POOL })))
    await until(async () => (await stats()).every((s) => s.lapses === 1 && s.listed === keys.length), LEASE + 10_000, 'a and b to see c lapse and read its manifest')
    const [fa, fb] = await stats()
    for (const s of [fa, fb]) expect(s).toMatchObject({ lapses: 1, listed: keys.length, failed: 0 })
    expect(fa!.shared + fb!.shared).toBe(keys.length)
    for (const key of keys) {
      // A call that failed as c died (OutcomeUnknownError) may have been applied: every acknowledged one there, in order, each once.
      const { ids } = await b.run<{ ids: string[] }>('poolCall', { pool: POOL, key, event: { type: 'get' } })
      const ackedIds = new Set(acked[key])
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids.filter((id) => ackedIds.has(id))).toEqual(acked[key])
      expect(ids[0]).toBe(`${key}#c`)
    }
    const store = await PostgresStore.open({ config: servers.pg.connection, schema: 'cluster' })
    for (const key of keys) {
      const audit = await auditActivations(store, POOL, key)
      expect(audit.problems).toEqual([])
      expect(audit.activations.map((x) => x.node), key).toEqual(['c', shares.get(key)])
    }
    await store.close()
    // Read by both, then removed by one of them (two leases after the lapse); a's and b's own stay.
    await until(async () => (await manifestOf('eager-calls', 'c')).length === 0, 20_000, "c's manifest removed")
    expect((await manifestOf('eager-calls', 'a')).sort()).toEqual(onA)
    await stopAll([a, b])
  }, 90_000)

  it("a message for a dead node's key that its taker has yet to come to moves it to the front: taken over at once, not placed lazily beside the takeovers", async () => {
    // A slow sweep (one takeover at a time, 120 keys): most keys are still waiting for it when the calls come.
    const failover = { mode: 'eager' as const, batch: 1 }
    const env = (node: string) => ({ nats: servers.nats.url, cluster: 'eager-first', node, lease: LEASE, pg: servers.pg.connection, pools: true, failover, localFirst: true })
    const [a, b, c] = (await startNodeProcesses([env('a'), env('b'), env('c')])) as [NodeProcess, NodeProcess, NodeProcess]
    nodes.push(a, b, c)
    const keys = Array.from({ length: 120 }, (_, i) => `f-${i}`)
    await Promise.all(keys.map((key) => c.run('poolCall', { pool: POOL, key, event: { type: 'add', id: `${key}#c` } })))
    await until(async () => (await manifestOf('eager-first', 'c')).length === keys.length, 10_000, "c's manifest to list its keys")
    await c.kill()
    // Both survivors have read c's manifest (their shares listed) before any call.
    await until(async () => (await Promise.all([a, b].map((n) => n.run<FailoverStats>('poolFailovers', { pool: POOL })))).every((f) => f.listed === keys.length), LEASE + 10_000, "a and b read c's manifest")
    await Promise.all(keys.map((key) => a.run('poolCall', { pool: POOL, key, event: { type: 'add', id: `${key}#a` } })))

    const [fa, fb] = await Promise.all([a, b].map((n) => n.run<FailoverStats>('poolFailovers', { pool: POOL })))
    // Every key was taken over (by its taker's sweep, or at once for its call), none placed by a call beside it.
    expect({ taken: fa!.taken + fb!.taken, skipped: fa!.skipped + fb!.skipped, failed: fa!.failed + fb!.failed }).toEqual({ taken: keys.length, skipped: 0, failed: 0 })
    const [onA, onB] = await Promise.all([keysOn(a), keysOn(b)])
    for (const key of keys) expect(shareOf(key, ['a', 'b']) === 'a' ? onA : onB, key).toContain(key)
    for (const key of keys.slice(0, 10)) {
      const { ids } = await b.run<{ ids: string[] }>('poolCall', { pool: POOL, key, event: { type: 'get' } })
      expect(ids).toEqual([`${key}#c`, `${key}#a`])
    }
    await stopAll([a, b])
  }, 90_000)
})
