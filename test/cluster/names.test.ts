import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess } from './nodes'

const LEASE = 2000
let nats: NatsServer
let nodes: NodeProcess[] = []

beforeAll(async () => {
  nats = await startNats()
  nodes = await startNodeProcesses(['a', 'b', 'c'].map((node) => ({ nats: nats.url, cluster: 'names', node, lease: LEASE })))
}, 60_000)

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await nats?.stop()
})

describe('global names', () => {
  it('10 concurrent registrations of one name from three processes: exactly one wins, the rest get NameTakenError', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess]
    const outcomes = (await Promise.all([
      a.run<string[]>('startMany', { kind: 'journal', name: 'contested', count: 4 }),
      b.run<string[]>('startMany', { kind: 'journal', name: 'contested', count: 3 }),
      c.run<string[]>('startMany', { kind: 'journal', name: 'contested', count: 3 })
    ])).flat()
    expect(outcomes).toHaveLength(10)
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'NameTakenError')).toHaveLength(9)
    const owners = await Promise.all(nodes.map((n) => n.run<string[]>('held')))
    expect(owners.flat()).toEqual(['contested'])
  })

  it('a call from another node right after the start reaches the branch, whether or not its watch has seen the name yet', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess]
    const names = Array.from({ length: 20 }, (_, i) => `fresh-${i}`)
    // Each call leaves as soon as its start is acknowledged: b's watch may lag the bucket, and the call asks the bucket.
    const replies = await Promise.all(names.map(async (name) => (await a.run('start', { kind: 'journal', name }), b.run('call', { name, event: { type: 'get' } }))))
    expect(replies).toEqual(names.map(() => ({ ids: [], count: 0 })))
    expect((await b.failure('call', { name: 'never-started', event: { type: 'get' } })).instanceOf).toBe('UnknownNameError')
    expect((await b.failure('cast', { name: 'never-started', event: { type: 'get' } })).instanceOf).toBe('UnknownNameError')
  })

  it('a name whose node dies is free again after the lease (and not before)', async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess]
    await c.run('start', { kind: 'journal', name: 'leased' })
    await c.kill()
    const killedAt = Date.now()
    // Right after the kill the lease still holds.
    expect((await a.failure('start', { kind: 'journal', name: 'leased' })).name).toBe('NameTakenError')
    let claimedAt: number | undefined
    while (claimedAt === undefined && Date.now() - killedAt < LEASE + 5000) {
      try {
        await b.run('start', { kind: 'journal', name: 'leased' })
        claimedAt = Date.now()
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    expect(claimedAt).toBeDefined()
    // The documented bound: the lease time after the last renewal (which was at most a third of it before the kill), plus the server's expiry sweep.
    expect((claimedAt as number) - killedAt).toBeLessThan(LEASE + 3000)
    expect(await b.run('held')).toContain('leased')
  }, 30_000)
})
