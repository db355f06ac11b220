import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { localFirst, type ClusterNode, type ClusterPoolKind, type PlacementStrategy } from '../../src/cluster'
import { loadNats } from '../../src/cluster/nats'
import { startNats, type NatsServer } from '../support/nats'
import { callerLoop, holders, journal, recordedAt, settled, startNodesAt, until, type CallerLoop } from './poolHelpers'

// Issue 21, rebalancing on load drift (docs/design/cluster-pools.md, section 8): with no node joining or
// leaving, a node whose load drifts above the bound sheds keys, with their state, down to a lower level.
// Nodes in this one process (ClusterNode._start), on a private nats-server.

const LEASE = 1500
let nats: NatsServer
let running: ClusterNode[] = []
let loops: CallerLoop[] = []

beforeAll(async () => {
  ;[nats] = await Promise.all([startNats(), loadNats()])
}, 30_000)

afterEach(async () => {
  await Promise.all(loops.map((loop) => loop.stop()))
  loops = []
  await Promise.all(running.map((node) => node.stop()))
  running = []
})

afterAll(async () => {
  await nats?.stop()
})

/**
 * Every key on the node its first message came to, however many it holds (local-first with no bound),
 * while rebalancing keeps the default bound, 1.25x the mean: the way load drifts when callers of new keys
 * crowd on one node.
 */
const greedy: PlacementStrategy = { ...localFirst({ epsilon: Infinity }), name: 'all local', epsilon: 0.25 }

describe('rebalancing on load drift', () => {
  it('a node holding every key sheds down to ceil(1.125 x mean) with no join, the keys keeping their state under callers; then nothing moves', async () => {
    const kind = (extra: Partial<ClusterPoolKind> = {}): ClusterPoolKind => ({ logic: journal, strategy: greedy, ...extra })
    const [a, b] = (await startNodesAt(nats.url, 'drift', ['a', 'b'], { moving: kind(), fixed: kind({ rebalance: false }) }, LEASE, running)) as [ClusterNode, ClusterNode]
    await settled([a, b], 'moving', 1)
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`)
    await Promise.all(keys.flatMap((key) => ['moving', 'fixed'].map((pool) => a.pool(pool).call(key, { type: 'add', id: 'first' }))))
    const callers = [callerLoop(a.pool('moving'), 'a', keys, loops), callerLoop(b.pool('moving'), 'b', keys, loops)]

    // 40 on a, 0 on b: mean 20, bound 25; a sheds down to ceil(1.125 x 20) = 23, so 17 keys go to b.
    const done = (node: ClusterNode) => {
      const m = node.pool('moving').moves()
      return m.drifts >= 1 && m.movedOut + m.failed >= m.planned
    }
    await until(() => done(a), "a's drift plan done")
    expect(a.pool('moving').moves()).toMatchObject({ drifts: 1, planned: 17, movedOut: 17, failed: 0 })
    expect(b.pool('moving').moves()).toMatchObject({ drifts: 0, movedIn: 17 })
    // Two more checks each, a settle period on: within the bound now, nothing more moves either way.
    const checks = [a, b].map((node) => node.pool('moving').moves().checks)
    await until(() => [a, b].every((node, i) => node.pool('moving').moves().checks >= (checks[i] as number) + 2), 'two more checks on each node')
    await Promise.all(callers.map((loop) => loop.stop()))
    expect([...callers[0]!.errors, ...callers[1]!.errors]).toEqual([])
    expect(a.pool('moving').moves()).toMatchObject({ drifts: 1, movedOut: 17 })
    expect(b.pool('moving').moves()).toMatchObject({ drifts: 0, movedOut: 0 })

    const after = holders([a, b], 'moving', keys)
    expect(keys.filter((key) => after.get(key) === 'b')).toHaveLength(17)
    expect(await recordedAt(nats.url, 'drift', 'moving', keys)).toEqual(keys.map((key) => after.get(key)))
    for (const key of keys) {
      const ids = (await b.pool('moving').call(key, { type: 'get' })) as string[]
      // The state moved with the key: its first add, then each caller's acknowledged adds, in order, once each.
      expect(ids[0]).toBe('first')
      for (const [caller, loop] of [['a', callers[0]!], ['b', callers[1]!]] as const) {
        expect(ids.filter((id) => id.startsWith(`${caller}#`))).toEqual(loop.acked[key] ?? [])
      }
      expect(ids).toHaveLength(1 + (callers[0]!.acked[key]?.length ?? 0) + (callers[1]!.acked[key]?.length ?? 0))
    }
    // Without rebalancing, the same drift stays.
    expect(a.pool('fixed').keys()).toHaveLength(40)
    expect(b.pool('fixed').moves()).toMatchObject({ checks: 0, drifts: 0 })
  }, 60_000)

  it('keys going: once the keys on one node passivate, the other sheds its hot keys to it, with their state, under a caller', async () => {
    // Bounded hashing spreads the keys; an idle key passivates after 2 s (an in-memory key's state goes with it).
    const [a, b] = (await startNodesAt(nats.url, 'drift-idle', ['a', 'b'], { moving: { logic: journal, idleTimeout: 2000 } }, LEASE, running)) as [ClusterNode, ClusterNode]
    await settled([a, b], 'moving', 1)
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`)
    await Promise.all(keys.map((key) => a.pool('moving').call(key, { type: 'add', id: 'first' })))
    const hot = a.pool('moving').keys()
    expect(hot.length).toBeGreaterThan(10)
    // Only a's keys are called from now on: b's passivate, and a holds all the pool's keys.
    const caller = callerLoop(a.pool('moving'), 'a', hot, loops)
    await until(() => b.pool('moving').keys().length === 0 || a.pool('moving').moves().drifts > 0, "b's keys passivated")
    const total = hot.length
    // a sheds down to ceil(1.125 x total / 2); b takes them and keeps them (they are called).
    await until(() => {
      const m = a.pool('moving').moves()
      return m.drifts >= 1 && m.movedOut + m.failed >= m.planned
    }, "a's drift plan done")
    expect(a.pool('moving').moves().failed).toBe(0)
    expect(a.pool('moving').keys().length).toBeLessThanOrEqual(Math.ceil((1.25 * total) / 2))
    const rounds = caller.rounds()
    await until(() => caller.rounds() >= rounds + 2, 'the caller going on after the moves')
    await caller.stop()
    expect(caller.errors).toEqual([])
    const after = holders([a, b], 'moving', hot)
    expect(hot.filter((key) => after.get(key) === 'b').length).toBe(b.pool('moving').moves().movedIn)
    for (const key of hot) {
      // A hot key kept its state wherever it is: its first add, then the caller's acknowledged adds, in order.
      expect(await b.pool('moving').call(key, { type: 'get' })).toEqual(['first', ...(caller.acked[key] ?? [])])
    }
  }, 60_000)
})
