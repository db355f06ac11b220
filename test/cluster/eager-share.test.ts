import { afterEach, describe, expect, it, vi } from 'vitest'
import type { KV } from '@nats-io/kv'
import { fromTransition } from 'xstate'
import { InvalidOptionError, MemoryStore } from '../../src/index'
import { EagerFailover, shareOf, type FailoverMembership, type FailoverPool } from '../../src/cluster/eager'
import { Manifest, MANIFEST_CHUNK, manifestKey, type ManifestEntry } from '../../src/cluster/manifest'
import { loadNats, nats } from '../../src/cluster/nats'
import { readNodeOptions } from '../../src/cluster/options'

// Eager failover without the network (docs/design/cluster-pools.md, section 6): how the live nodes split a
// dead node's keys, its manifest's chunks, and the option.

const keys = (n: number) => Array.from({ length: n }, (_, i) => `k-${i}`)

/** The part of a KV bucket a manifest uses, in memory; counts the writes. */
function memoryKv() {
  const data = new Map<string, string>()
  let puts = 0
  const kv = {
    put: async (k: string, v: string) => void (puts++, data.set(k, v)),
    delete: async (k: string) => void data.delete(k),
    get: async (k: string) => (data.has(k) ? { key: k, operation: 'PUT', string: () => data.get(k) as string } : null),
    keys: async (filter: string) => [...data.keys()].filter((k) => k.startsWith(filter.slice(0, -1)))[Symbol.iterator]()
  }
  return { kv: kv as unknown as KV, data, puts: () => puts }
}
const plain = { write: (_k: string, text: string) => text, read: (_k: string, stored: string) => stored }

/**
 * The same with revisions, as the bucket has them: `delete` with `previousSeq` refuses, as JetStream does, if the
 * key was written since; `afterGet` runs once a read has answered (to write between a read and a delete).
 */
function revisedKv() {
  const data = new Map<string, { value: string; revision: number }>()
  let revision = 0
  const deletes: string[] = []
  const hooks: { afterGet?: (k: string) => void } = {}
  const kv = {
    put: async (k: string, value: string) => void data.set(k, { value, revision: ++revision }),
    delete: async (k: string, opts?: { previousSeq?: number }) => {
      const found = data.get(k)
      if (opts?.previousSeq !== undefined && found?.revision !== opts.previousSeq) {
        throw new (nats().jetstream.JetStreamApiError)({ code: 400, err_code: 10071, description: 'wrong last sequence' })
      }
      deletes.push(k)
      data.delete(k)
    },
    get: async (k: string) => {
      const found = data.get(k)
      const entry = found ? { key: k, operation: 'PUT', revision: found.revision, string: () => found.value } : null
      queueMicrotask(() => hooks.afterGet?.(k))
      return entry
    },
    keys: async (filter: string) => [...data.keys()].filter((k) => k.startsWith(filter.slice(0, -1)))[Symbol.iterator]()
  }
  return { kv: kv as unknown as KV, data, deletes, hooks }
}

/** A cluster of nodes `live` (each in life `<node>-1`) as every node sees it; `lapse` takes one out. */
function membership(live: string[]) {
  const lives = new Map(live.map((node) => [node, `${node}-1`]))
  const view = (self: string): FailoverMembership => ({
    self: { node: self, inc: `${self}-1` },
    liveNodes: () => [...lives.keys()],
    heartbeat: (node) => (lives.has(node) ? { inc: lives.get(node) as string } : undefined),
    beatMs: 100,
    logger: { warn: (details: object, message: string) => void warnings.push(`${message} ${JSON.stringify(details)}`) }
  })
  const warnings: string[] = []
  return { view, warnings, lapse: (node: string) => lives.delete(node) }
}

/** A pool that takes over whatever it is given, at once, on a cluster of `nodes()`. */
function takingPool(nodes: () => string[]): FailoverPool & { readonly taken: string[] } {
  const taken: string[] = []
  return {
    name: 'accounts',
    taken,
    _manifest: (): ManifestEntry[] => [],
    _takeOver: async (key) => (taken.push(key), 'taken'),
    loads: () => nodes().map((node) => ({ node, keys: 0, overloaded: false }))
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('eager failover, its parts', () => {
  it("every key is one live node's share, the same on every node, about 1/N each; a node gone moves only its own share", () => {
    const all = keys(3000)
    const nodes = ['a', 'b', 'd']
    const shares = all.map((key) => shareOf(key, nodes))
    expect(all.map((key) => shareOf(key, [...nodes].reverse()))).toEqual(shares)
    for (const node of nodes) {
      const n = shares.filter((s) => s === node).length
      expect(n / all.length, node).toBeGreaterThan(0.28)
      expect(n / all.length, node).toBeLessThan(0.39)
    }
    // Without d, d's keys split over a and b; a's and b's stay theirs.
    all.forEach((key, i) => {
      if (shares[i] !== 'd') expect(shareOf(key, ['a', 'b'])).toBe(shares[i])
    })
    expect(shareOf('k', [])).toBeUndefined()
  })

  it('a manifest is written in chunks, only those that changed, trimmed when it shrinks, read back for its life only', async () => {
    const { kv, data, puts } = memoryKv()
    const c = new Manifest(kv, plain, 'accounts', { node: 'c', inc: 'life-1' })
    const reader = new Manifest(kv, plain, 'accounts', { node: 'a', inc: 'life-a' })
    const entries = keys(MANIFEST_CHUNK * 2 + 10).map((key, i) => ({ key, epoch: i + 1 }))
    await c.write(entries)
    expect(puts()).toBe(3)
    expect(await reader.read('c', 'life-1')).toEqual(entries)
    // Unchanged: nothing written. One key of the last chunk gone: that chunk only.
    await c.write(entries)
    expect(puts()).toBe(3)
    await c.write(entries.slice(0, -1))
    expect(puts()).toBe(4)
    // Shrunk to one chunk: the others are deleted.
    await c.write(entries.slice(0, 5))
    expect([...data.keys()].sort()).toEqual([manifestKey('accounts', 'c', 0)])
    expect(await reader.read('c', 'life-1')).toEqual(entries.slice(0, 5))
    // Another life's chunks, another pool's or node's, and malformed ones are not read.
    expect(await reader.read('c', 'life-2')).toEqual([])
    expect(await reader.read('b', 'life-1')).toEqual([])
    data.set(manifestKey('accounts', 'c', 1), '{"inc":"life-1","keys":[["x",0],[5,1],"y",["z",3]]}')
    data.set(manifestKey('accounts', 'c', 2), 'not json')
    expect((await reader.read('c', 'life-1')).slice(5)).toEqual([{ key: 'z', epoch: 3 }])
    await c.clear()
    expect(data.has(manifestKey('accounts', 'c', 0))).toBe(false)
  })

  it("a dead node's manifest is removed by one live node, two leases after the lapse, each chunk of that life by compare-and-set; what the node writes back under its id stays", async () => {
    await loadNats()
    vi.useFakeTimers()
    const { kv, data, deletes, hooks } = revisedKv()
    const cluster = membership(['a', 'b', 'c'])
    const c = new Manifest(kv, plain, 'accounts', { node: 'c', inc: 'c-1' })
    const entries = keys(MANIFEST_CHUNK * 2 + 1).map((key, i) => ({ key, epoch: i + 1 }))
    await c.write(entries)
    const pools = { a: takingPool(() => cluster.view('a').liveNodes()), b: takingPool(() => cluster.view('b').liveNodes()) }
    const failovers = (['a', 'b'] as const).map((node) => new EagerFailover(pools[node], cluster.view(node), new Manifest(kv, plain, 'accounts', { node, inc: `${node}-1` }), 4))
    for (const f of failovers) f.start()
    await vi.advanceTimersByTimeAsync(100)

    cluster.lapse('c')
    await vi.advanceTimersByTimeAsync(100)
    expect([...pools.a.taken, ...pools.b.taken].sort()).toEqual(entries.map((e) => e.key).sort())
    // Both read it; neither removes it before the others have had two leases (six heartbeat periods) to.
    await vi.advanceTimersByTimeAsync(500)
    expect(deletes).toEqual([])
    await vi.advanceTimersByTimeAsync(200)
    expect(deletes.sort()).toEqual([0, 1, 2].map((n) => manifestKey('accounts', 'c', n)))
    expect([...data.keys()].filter((k) => k.startsWith('m.accounts.c.'))).toEqual([])

    // Again, and c comes back under its id (life c-2) before the removal: what it writes stays. Its chunk 3 is there
    // before the removal reads it; its chunk 1 lands between the remover's read and its delete.
    const lives = membership(['a', 'b', 'c'])
    await new Manifest(kv, plain, 'accounts', { node: 'c', inc: 'c-1' }).write(entries)
    const fa = new EagerFailover(takingPool(() => lives.view('a').liveNodes()), lives.view('a'), new Manifest(kv, plain, 'accounts', { node: 'a', inc: 'a-1' }), 4)
    const fb = new EagerFailover(takingPool(() => lives.view('b').liveNodes()), lives.view('b'), new Manifest(kv, plain, 'accounts', { node: 'b', inc: 'b-1' }), 4)
    fa.start()
    fb.start()
    await vi.advanceTimersByTimeAsync(100)
    lives.lapse('c')
    await vi.advanceTimersByTimeAsync(100)
    deletes.length = 0
    const newLife = JSON.stringify({ inc: 'c-2', keys: [['x', 1]] })
    await kv.put(manifestKey('accounts', 'c', 3), newLife)
    hooks.afterGet = (k) => {
      if (k === manifestKey('accounts', 'c', 1)) void kv.put(k, newLife)
    }
    await vi.advanceTimersByTimeAsync(700)
    expect(deletes.sort()).toEqual([0, 2].map((n) => manifestKey('accounts', 'c', n)))
    expect([1, 3].map((n) => data.get(manifestKey('accounts', 'c', n))?.value)).toEqual([newLife, newLife])
    // The node's first write in its new life trims what it did not write this life beyond its last chunk.
    hooks.afterGet = undefined
    deletes.length = 0
    const back = new Manifest(kv, plain, 'accounts', { node: 'c', inc: 'c-2' })
    await back.write(entries.slice(0, 3))
    expect(deletes.sort()).toEqual([1, 3].map((n) => manifestKey('accounts', 'c', n)))
    expect(await new Manifest(kv, plain, 'accounts', { node: 'a', inc: 'a-1' }).read('c', 'c-2')).toEqual(entries.slice(0, 3))
    expect(lives.warnings).toEqual([])
    await Promise.all([...failovers, fa, fb].map((f) => f.close()))
  })

  it("the failover option is checked: 'lazy' by default, 'eager' only with durable", () => {
    const logic = fromTransition((n: number) => n, 0)
    const options = (failover: unknown, durable = true) => () =>
      readNodeOptions({ servers: 'nats://127.0.0.1:1', cluster: 'opts', pools: { p: { logic, failover, ...(durable ? { durable: { store: new MemoryStore() } } : {}) } } })
    for (const good of [undefined, 'lazy', 'eager', { mode: 'eager' }, { mode: 'eager', batch: 4 }]) expect(options(good)).not.toThrow()
    expect(readNodeOptions({ servers: 'nats://127.0.0.1:1', cluster: 'opts', pools: { p: { logic } } }).pools.get('p')?.failover).toEqual({ mode: 'lazy', batch: 32 })
    for (const bad of ['now', true, { mode: 'soon' }, { mode: 'eager', batch: 0 }, { batch: 2 }]) expect(options(bad)).toThrow(InvalidOptionError)
    expect(options({ mode: 'eager', bath: 2 })).toThrow(/bath/)
    expect(options('eager', false)).toThrow(/in-memory pool/)
    expect(options('lazy', false)).not.toThrow()
  })
})
