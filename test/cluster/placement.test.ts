import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NoNodeError } from '../../src/cluster/errors'
import { hash32 } from '../../src/cluster/hash'
import { placeOn } from '../../src/cluster/placement'
import { PlacementView, type NodeLoad } from '../../src/cluster/placementView'
import { boundedHashing, capacity, DEFAULT_EPSILON, leastLoaded, localFirst, type PlacementStrategy } from '../../src/cluster/strategies'
import { InvalidOptionError } from '../../src/shared/errors'

// Placement is pure: these tests build views by hand, place keys one after the
// other (counting each placement in the view, as a pool would between two
// heartbeats), and check what the strategies promise.

const nodeIds = (n: number, prefix = 'node-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const empty = (ids: readonly string[]): NodeLoad[] => ids.map((node) => ({ node, keys: 0 }))
const keyNames = (n: number, prefix = 'key-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** Places `keys` in order onto fresh nodes `ids`, each asked by `askerOf(i)`; the node of each key. */
function placeInOrder(
  strategy: PlacementStrategy,
  ids: readonly string[],
  keys: readonly string[],
  askerOf = (i: number) => ids[i % ids.length] as string,
  planned = 0
) {
  const view = new PlacementView(empty(ids), { planned })
  const placed = keys.map((key, i) => {
    const node = strategy.place(key, view, askerOf(i))
    if (typeof node !== 'string') throw node
    view.add(node)
    return node
  })
  return { placed, view }
}

const fraction = (a: readonly string[], b: readonly string[]) => a.filter((node, i) => node !== b[i]).length / a.length

/** Every strategy with its defaults, and the variants the bench measures. */
const STRATEGIES: readonly PlacementStrategy[] = [
  boundedHashing(),
  boundedHashing({ epsilon: Infinity }),
  localFirst(),
  leastLoaded(),
  leastLoaded({ choices: 2 })
]

/** A view of 0-12 nodes with arbitrary loads, some overloaded. */
const arbitraryLoads = fc.uniqueArray(
  fc.record({ node: fc.string({ minLength: 1, maxLength: 8 }), keys: fc.nat(1000), overloaded: fc.boolean() }),
  { maxLength: 12, selector: (load) => load.node }
)

describe('placeOn (failover)', () => {
  it('answers what it answered before the strategies were added, so failover agrees across versions', () => {
    const nodes = ['a', 'b', 'c', 'node-1', 'node-2']
    expect(['orders', 'cart:42', 'x', ''].map((name) => placeOn(name, nodes))).toEqual(['b', 'node-2', 'b', 'node-1'])
    expect(placeOn('orders', [])).toBeUndefined()
  })
})

describe('hash32', () => {
  it('is pinned, since every node and every version must compute the same placements', () => {
    expect([hash32(''), hash32('a'), hash32('key-1'), hash32('ключ')]).toEqual([3954623016, 298494453, 2490034699, 48505008])
  })
})

describe('every strategy', () => {
  it.each(STRATEGIES.map((s) => [s.name, s] as const))('%s answers a typed no-nodes error for an empty view', (_, strategy) => {
    const answer = strategy.place('cart:1', new PlacementView([]), 'node-0')
    expect(answer).toBeInstanceOf(NoNodeError)
    expect((answer as NoNodeError).reason).toBe('no-nodes')
    expect((answer as NoNodeError).key).toBe('cart:1')
    expect((answer as NoNodeError).message).toContain('no node is live')
  })

  it.each(STRATEGIES.map((s) => [s.name, s] as const))('%s never answers an overloaded node, and says so when all are', (_, strategy) => {
    fc.assert(
      fc.property(arbitraryLoads, fc.string(), fc.nat(20), (loads, key, askerAt) => {
        const view = new PlacementView(loads)
        const asker = loads[askerAt % Math.max(1, loads.length)]?.node ?? 'nobody'
        const answer = strategy.place(key, view, asker)
        if (loads.length === 0) return answer instanceof NoNodeError && answer.reason === 'no-nodes'
        if (loads.every((load) => load.overloaded)) return answer instanceof NoNodeError && answer.reason === 'all-overloaded'
        return typeof answer === 'string' && loads.some((load) => load.node === answer && !load.overloaded)
      })
    )
  })
})

describe('determinism', () => {
  it.each(STRATEGIES.filter((s) => s.deterministic).map((s) => [s.name, s] as const))(
    '%s gives the same answer from the same loads, in any order and from any asker',
    (_, strategy) => {
      fc.assert(
        fc.property(arbitraryLoads, fc.string(), fc.integer(), (loads, key, seed) => {
          const shuffled = fc.sample(fc.shuffledSubarray(loads, { minLength: loads.length }), { seed, numRuns: 1 })[0] as NodeLoad[]
          const a = strategy.place(key, new PlacementView(loads), loads[0]?.node ?? 'x')
          const b = strategy.place(key, new PlacementView(shuffled), loads.at(-1)?.node ?? 'y')
          return typeof a === 'string' ? a === b : b instanceof NoNodeError && a.reason === b.reason
        })
      )
    }
  )

  it('local-first answers the asker while it is under capacity, and the fallback otherwise', () => {
    const view = new PlacementView([
      { node: 'a', keys: 10 },
      { node: 'b', keys: 0 },
      { node: 'c', keys: 0, overloaded: true }
    ])
    const strategy = localFirst()
    expect(strategy.place('k', view, 'b')).toBe('b')
    // capacity ceil(1.25 x 11 / 2) = 7: a, at 10, is over it; c is overloaded; 'd' is not in the view.
    for (const asker of ['a', 'c', 'd']) expect(strategy.place('k', view, asker)).toBe('b')
  })

  it('least-loaded answers a node with the fewest keys among those that take keys', () => {
    fc.assert(
      fc.property(arbitraryLoads, fc.string(), (loads, key) => {
        const answer = leastLoaded().place(key, new PlacementView(loads), '')
        const open = loads.filter((load) => !load.overloaded)
        if (open.length === 0) return answer instanceof NoNodeError
        return loads.find((load) => load.node === answer)?.keys === Math.min(...open.map((load) => load.keys))
      })
    )
  })

  it('least-loaded spreads ties over the tied nodes instead of sending every key to one', () => {
    const { view } = placeInOrder(leastLoaded({ choices: 2 }), nodeIds(4), keyNames(400))
    expect([...view.keys].every((k) => k >= 80 && k <= 120)).toBe(true)
  })
})

describe('the bound', () => {
  it.each([boundedHashing(), boundedHashing({ epsilon: 0.1 }), localFirst()].map((s) => [s.name, s] as const))(
    '%s keeps every node at or under ceil((1 + eps) x keys / nodes) after every placement',
    (_, strategy) => {
      const epsilon = strategy.name.includes('0.1') ? 0.1 : DEFAULT_EPSILON
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 600 }), fc.nat(), fc.boolean(), (n, count, seed, skewed) => {
          const ids = nodeIds(n)
          // Skewed: every first message comes to one node, the worst case for local-first.
          const { placed, view } = placeInOrder(strategy, ids, keyNames(count, `k${seed}-`), (i) => (skewed ? (ids[0] as string) : (ids[(i * 7 + seed) % n] as string)))
          expect(placed).toHaveLength(count)
          return Math.max(...view.keys) <= Math.ceil(((1 + epsilon) * count) / n)
        }),
        { numRuns: 60 }
      )
    }
  )

  it('capacity counts only the nodes that take keys', () => {
    const view = new PlacementView([
      { node: 'a', keys: 3 },
      { node: 'b', keys: 4, overloaded: true }
    ])
    expect(capacity(view, 0.25)).toBe(Math.ceil((1.25 * 8) / 1))
  })

  it('without a bound, rendezvous hashing piles keys up where the bound would not (few keys per node)', () => {
    const ids = nodeIds(50)
    const keys = keyNames(500)
    const plain = placeInOrder(boundedHashing({ epsilon: Infinity }), ids, keys).view
    const bounded = placeInOrder(boundedHashing(), ids, keys).view
    expect(Math.max(...plain.keys)).toBeGreaterThan(Math.ceil(1.25 * 10))
    expect(Math.max(...bounded.keys)).toBeLessThanOrEqual(Math.ceil(1.25 * 10))
  })
})

describe('movement on join and leave', () => {
  it('plain rendezvous moves only keys to a joining node, and only a leaving node\'s keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }), fc.nat(), (n, count, seed) => {
        const strategy = boundedHashing({ epsilon: Infinity })
        const ids = nodeIds(n + 1, `n${seed}-`)
        const keys = keyNames(count, `k${seed}-`)
        const before = placeInOrder(strategy, ids.slice(0, n), keys).placed
        const after = placeInOrder(strategy, ids, keys).placed
        const joiner = ids[n] as string
        // Join (before -> after): a key moves only to the joiner. Leave (after -> before): only the joiner's keys move.
        return before.every((node, i) => after[i] === node || after[i] === joiner)
      })
    )
  })

  it.each([
    ['bounded hashing', boundedHashing()],
    ['local-first', localFirst()]
  ] as const)('%s moves close to 1/N of the keys when a node joins or leaves (20 nodes, 20,000 keys)', (_, strategy) => {
    const ids = nodeIds(21)
    const keys = keyNames(20_000)
    // Askers of the first messages: spread at random (seeded), and the same before and after.
    const askers = keys.map((key) => ids[hash32(`asker:${key}`) % 20] as string)
    const before = placeInOrder(strategy, ids.slice(0, 20), keys, (i) => askers[i] as string).placed
    const joined = placeInOrder(strategy, ids, keys, (i) => askers[i] as string).placed
    const left = placeInOrder(strategy, ids.slice(1, 20), keys, (i) => askers[i] as string).placed
    expect(fraction(before, joined)).toBeLessThan(1.5 / 21)
    expect(fraction(before, left)).toBeLessThan(1.5 / 20)
    expect(fraction(before, left)).toBeGreaterThanOrEqual(before.filter((node) => node === ids[0]).length / keys.length)
  })
})

describe('a planned view (a rebalancer placing every key again)', () => {
  it('holds the final bound from the first key, and moves close to 1/N at 10 keys per node where counting one by one does not', () => {
    const strategy = boundedHashing()
    const ids = nodeIds(51)
    const keys = keyNames(500)
    const place = (members: readonly string[], planned: number) => placeInOrder(strategy, members, keys, undefined, planned)
    for (const planned of [0, keys.length]) {
      expect(Math.max(...place(ids.slice(0, 50), planned).view.keys)).toBeLessThanOrEqual(Math.ceil(1.25 * 10))
    }
    const moved = (planned: number) => fraction(place(ids.slice(0, 50), planned).placed, place(ids, planned).placed)
    expect(moved(keys.length)).toBeLessThan(2.5 / 51)
    expect(moved(0)).toBeGreaterThan(moved(keys.length))
  })

  it('capacity counts the planned keys when they are more than those placed', () => {
    const view = new PlacementView(empty(nodeIds(4)), { planned: 400 })
    expect(capacity(view, 0.25)).toBe(125)
    view.add('node-0', 450)
    expect(capacity(view, 0.25)).toBe(Math.ceil((1.25 * 451) / 4))
  })
})

describe('bad input', () => {
  it('refuses a node listed twice, an empty id or a bad key count, naming what was wrong', () => {
    expect(() => new PlacementView([{ node: 'a', keys: 0 }, { node: 'a', keys: 1 }])).toThrow(InvalidOptionError)
    expect(() => new PlacementView([{ node: 'a', keys: 0 }, { node: 'a', keys: 1 }])).toThrow(/listed twice/)
    expect(() => new PlacementView([{ node: '', keys: 0 }])).toThrow(/non-empty node id/)
    expect(() => new PlacementView([{ node: 'a', keys: -1 }])).toThrow(/node "a"\]\.keys" must be a whole number ≥ 0; got number -1/)
    expect(() => new PlacementView([{ node: 'a', keys: 1.5 }])).toThrow(InvalidOptionError)
    expect(() => new PlacementView([], { planned: -1 })).toThrow(/"planned" must be a whole number ≥ 0/)
  })

  it('refuses an epsilon that is not above 0, and a choice count that is not a whole number ≥ 1', () => {
    for (const epsilon of [0, -1, Number.NaN]) {
      expect(() => boundedHashing({ epsilon })).toThrow(/"boundedHashing.epsilon" must be a number > 0/)
      expect(() => localFirst({ epsilon })).toThrow(/"localFirst.epsilon"/)
    }
    for (const choices of [0, 1.5]) expect(() => leastLoaded({ choices })).toThrow(/"leastLoaded.choices" must be a whole number ≥ 1/)
  })
})
