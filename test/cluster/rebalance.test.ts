import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/index'
import { boundedHashing, ClusterNode, PlacementView, type ClusterPool, type ClusterPoolKind } from '../../src/cluster'
import { readNodeOptions, type NodeOptions } from '../../src/cluster/options'
import { loadNats } from '../../src/cluster/nats'
import { startNats, type NatsServer } from '../support/nats'
import { callerLoop as startCaller, holders, journal, recordedAt, settled, startNodesAt, until, type CallerLoop } from './poolHelpers'

// Issue 21, rebalancing (docs/design/cluster-pools.md, section 8): keys move with their state when a node
// joins and before one leaves. Several nodes in this one process (ClusterNode._start), on a private nats-server.

const LEASE = 1500
let nats: NatsServer
let running: ClusterNode[] = []
/** Caller loops still going (a failed test's): stopped before its nodes. */
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

const kind = (extra: Partial<ClusterPoolKind> = {}): ClusterPoolKind => ({ logic: journal, ...extra })

const startNodes = (cluster: string, ids: readonly string[], pools: NodeOptions['pools']) => startNodesAt(nats.url, cluster, ids, pools, LEASE, running)
const recorded = (cluster: string, pool: string, keys: readonly string[]) => recordedAt(nats.url, cluster, pool, keys)
const callerLoop = (pool: ClusterPool, caller: string, keys: readonly string[]) => startCaller(pool, caller, keys, loops)

/** The keys bounded hashing puts first on `node` among `nodes` (where a rebalanced key goes when the bound allows). */
function firstChoiceOn(keys: readonly string[], nodes: readonly string[], node: string): string[] {
  const view = new PlacementView(nodes.map((id) => ({ node: id, keys: 0 })))
  const plain = boundedHashing({ epsilon: Infinity })
  return keys.filter((key) => plain.place(key, view, node) === node)
}

describe('rebalancing a cluster pool', () => {
  it('a join moves about 1/N of the keys to the new node, with their state, none lost or doubled under callers on two nodes; rebalance: false moves nothing', async () => {
    const pools = { moving: kind(), fixed: kind({ rebalance: false }) }
    const [a, b] = (await startNodes('join', ['a', 'b'], pools)) as [ClusterNode, ClusterNode]
    await settled([a, b], 'moving', 1)
    const keys = Array.from({ length: 90 }, (_, i) => `key-${i}`)
    await Promise.all(keys.flatMap((key) => ['moving', 'fixed'].map((pool) => a.pool(pool).call(key, { type: 'add', id: 'first' }))))
    const before = holders([a, b], 'moving', keys)
    const fixedBefore = holders([a, b], 'fixed', keys)
    const callers = [callerLoop(a.pool('moving'), 'a', keys), callerLoop(b.pool('moving'), 'b', keys)]
    await until(() => callers.every((loop) => loop.rounds() >= 2), 'the callers under way')

    const [c] = (await startNodes('join', ['c'], pools)) as [ClusterNode]
    const toC = firstChoiceOn(keys, ['a', 'b', 'c'], 'c')
    await settled([a, b, c], 'moving', 2)
    await until(() => toC.every((key) => c.pool('moving').keys().includes(key)), "c holds the keys it is first choice for")
    const rounds = callers.map((loop) => loop.rounds())
    await until(() => callers.every((loop, i) => loop.rounds() >= (rounds[i] as number) + 2), 'the callers going on after the moves')
    await Promise.all(callers.map((loop) => loop.stop()))
    expect([...callers[0]!.errors, ...callers[1]!.errors]).toEqual([])

    const after = holders([a, b, c], 'moving', keys)
    const moved = keys.filter((key) => after.get(key) !== before.get(key))
    if (process.env.KS_REPORT) console.info(`join: ${moved.length} of ${keys.length} keys moved to the third node`)
    // About 1/3 (bounded hashing's first choice), all of them to c: none between a and b (at the bound already).
    expect([...moved].sort()).toEqual([...toC].sort())
    expect(moved.length / keys.length).toBeGreaterThan(0.2)
    expect(moved.length / keys.length).toBeLessThan(0.5)
    expect(c.pool('moving').moves()).toMatchObject({ movedIn: moved.length, failed: 0 })
    expect(a.pool('moving').moves().movedOut + b.pool('moving').moves().movedOut).toBe(moved.length)
    expect(await recorded('join', 'moving', keys)).toEqual(keys.map((key) => after.get(key)))

    for (const key of keys) {
      const ids = (await c.pool('moving').call(key, { type: 'get' })) as string[]
      // The state moved with the key: its first add, then each caller's acknowledged adds, in order, once each.
      expect(ids[0]).toBe('first')
      for (const [caller, loop] of [['a', callers[0]!], ['b', callers[1]!]] as const) {
        expect(ids.filter((id) => id.startsWith(`${caller}#`))).toEqual(loop.acked[key])
      }
      expect(ids).toHaveLength(1 + (callers[0]!.acked[key]?.length ?? 0) + (callers[1]!.acked[key]?.length ?? 0))
    }
    // The pool without rebalancing kept every key where it was.
    expect(holders([a, b, c], 'fixed', keys)).toEqual(fixedBefore)
    expect(c.pool('fixed').keys()).toEqual([])
  }, 90_000)

  it('a node leaving gracefully moves its in-memory keys to the others with their state, under a caller', async () => {
    const [a, b, c] = (await startNodes('leave', ['a', 'b', 'c'], { moving: kind() })) as [ClusterNode, ClusterNode, ClusterNode]
    await settled([a, b, c], 'moving', 1)
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`)
    await Promise.all(keys.map((key) => a.pool('moving').call(key, { type: 'add', id: 'first' })))
    const onC = c.pool('moving').keys()
    expect(onC.length).toBeGreaterThan(0)
    const loop = callerLoop(a.pool('moving'), 'a', keys)
    await until(() => loop.rounds() >= 2, 'the caller under way')

    running = running.filter((node) => node !== c)
    await c.stop()
    expect(c.pool('moving').moves()).toMatchObject({ movedOut: onC.length, failed: 0 })
    const rounds = loop.rounds()
    await until(() => loop.rounds() >= rounds + 2, 'the caller going on after the leave')
    await loop.stop()
    expect(loop.errors).toEqual([])

    const after = holders([a, b], 'moving', keys)
    expect(await recorded('leave', 'moving', keys)).toEqual(keys.map((key) => after.get(key)))
    for (const key of keys) {
      // c's keys too: their state came with them (a released key would start again empty).
      expect(await b.pool('moving').call(key, { type: 'get' })).toEqual(['first', ...(loop.acked[key] ?? [])])
    }
  }, 60_000)

  it('a move its target refuses leaves the key served where it was, with its state; the others move', async () => {
    // c can't start some keys (their input fails there): it refuses their moves.
    const refused = new Set<string>()
    const picky: ClusterPoolKind = kind({
      input: (key: string) => {
        if (refused.has(key)) throw new Error(`no room for ${key} here`)
        return undefined
      }
    })
    const [a, b] = (await startNodes('refuse', ['a', 'b'], { moving: kind() })) as [ClusterNode, ClusterNode]
    await settled([a, b], 'moving', 1)
    const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`)
    await Promise.all(keys.map((key) => a.pool('moving').call(key, { type: 'add', id: 'first' })))
    const before = holders([a, b], 'moving', keys)
    const toC = firstChoiceOn(keys, ['a', 'b', 'c'], 'c')
    for (const key of toC.slice(0, 3)) refused.add(key)

    const [c] = (await startNodes('refuse', ['c'], { moving: picky })) as [ClusterNode]
    await settled([a, b, c], 'moving', 2)
    await until(() => toC.every((key) => refused.has(key) || c.pool('moving').keys().includes(key)), 'c holds the keys it took')
    await until(() => a.pool('moving').moves().failed + b.pool('moving').moves().failed === refused.size, 'the refused moves to fail')

    const after = holders([a, b, c], 'moving', keys)
    for (const key of refused) expect(after.get(key)).toBe(before.get(key))
    expect(await recorded('refuse', 'moving', keys)).toEqual(keys.map((key) => after.get(key)))
    for (const node of [a, b, c]) {
      for (const key of refused) {
        // Served where it was, its state kept, from every node (their cached routes corrected by a bounce).
        expect(await node.pool('moving').call(key, { type: 'add', id: node.id })).toEqual(['first', ...['a', 'b', 'c'].slice(0, ['a', 'b', 'c'].indexOf(node.id) + 1)])
      }
    }
  }, 60_000)

  it('the rebalance option is checked', () => {
    const options = (rebalance: unknown) => () => readNodeOptions({ servers: nats.url, cluster: 'bad', pools: { p: { logic: journal, rebalance } } })
    expect(options(false)).not.toThrow()
    expect(options({ batch: 4, settle: 0 })).not.toThrow()
    for (const bad of [true, 5, { batch: 0 }, { batch: 1.5 }, { settle: -1 }, { settle: Infinity }]) expect(options(bad)).toThrow(InvalidOptionError)
    expect(options({ bath: 2 })).toThrow(/bath/)
  })
})
