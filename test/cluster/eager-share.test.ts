import { describe, expect, it } from 'vitest'
import type { KV } from '@nats-io/kv'
import { fromTransition } from 'xstate'
import { InvalidOptionError, MemoryStore } from '../../src/index'
import { shareOf } from '../../src/cluster/eager'
import { Manifest, MANIFEST_CHUNK, manifestKey } from '../../src/cluster/manifest'
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
