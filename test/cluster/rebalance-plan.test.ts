import { describe, expect, it } from 'vitest'
import { boundedHashing, leastLoaded, localFirst, PlacementView, type NodeLoad } from '../../src/cluster'
import { planJoin, planLeave, type Holding } from '../../src/cluster/rebalance'

// What a node's rebalancing plan moves (docs/design/cluster-pools.md, section 8), with no network: the plans
// are pure functions of the node's keys, the loads its view holds and the strategy.

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
const idle = (ks: readonly string[]): Holding[] => ks.map((key) => ({ key, busy: false }))

/** Where plain rendezvous hashing puts each key among `nodes` (bounded hashing's first choice). */
function firstChoice(ks: readonly string[], nodes: readonly string[]): Map<string, string> {
  const view = new PlacementView(nodes.map((node) => ({ node, keys: 0 })))
  const plain = boundedHashing({ epsilon: Infinity })
  return new Map(ks.map((key) => [key, plain.place(key, view, nodes[0] as string) as string]))
}

describe('rebalancing plans', () => {
  it('bounded hashing: a join moves the keys whose first choice is the new node (about 1/N), none between the old nodes', () => {
    const all = keys(3000)
    const before = firstChoice(all, ['a', 'b'])
    const onA = all.filter((key) => before.get(key) === 'a')
    const onB = all.length - onA.length
    const loads: NodeLoad[] = [{ node: 'a', keys: onA.length }, { node: 'b', keys: onB }, { node: 'c', keys: 0 }]
    const moves = planJoin('a', idle(onA), loads, boundedHashing())
    const after = firstChoice(all, ['a', 'b', 'c'])
    expect(moves.map((m) => m.key).sort()).toEqual(onA.filter((key) => after.get(key) === 'c').sort())
    expect(new Set(moves.map((m) => m.to))).toEqual(new Set(['c']))
    expect(moves.length / onA.length).toBeGreaterThan(0.28)
    expect(moves.length / onA.length).toBeLessThan(0.39)
    // Planned on b, the same rule gives b's share: every node computes the same target for a key.
    const fromB = planJoin('b', idle(all.filter((key) => before.get(key) === 'b')), loads, boundedHashing())
    for (const { key, to } of fromB) expect(after.get(key)).toBe(to)
  })

  it('no move goes to a node at the bound, nor to an overloaded one; a node alone, or with no keys, plans nothing', () => {
    const mine = keys(100)
    // c is already at ceil(1.25 x 200 / 3) = 84: keys whose first choice it is stay.
    expect(planJoin('a', idle(mine), [{ node: 'a', keys: 100 }, { node: 'b', keys: 16 }, { node: 'c', keys: 84 }], boundedHashing()).every((m) => m.to !== 'c')).toBe(true)
    expect(planJoin('a', idle(mine), [{ node: 'a', keys: 100 }, { node: 'c', keys: 0, overloaded: true }], boundedHashing())).toEqual([])
    expect(planJoin('a', idle(mine), [{ node: 'a', keys: 100 }], boundedHashing())).toEqual([])
    expect(planJoin('a', [], [{ node: 'a', keys: 0 }, { node: 'b', keys: 0 }], boundedHashing())).toEqual([])
    // An overloaded node still plans as a candidate for its own keys: it does not send them all away.
    const overloaded = planJoin('a', idle(mine), [{ node: 'a', keys: 100, overloaded: true }, { node: 'b', keys: 0 }], boundedHashing())
    expect(overloaded.length).toBeGreaterThan(20)
    expect(overloaded.length).toBeLessThan(80)
  })

  it('local-first and least-loaded shed only the keys above the bound, the newest first, busy keys last', () => {
    const mine = keys(100)
    const loads: NodeLoad[] = [{ node: 'a', keys: 100 }, { node: 'b', keys: 100 }, { node: 'c', keys: 0 }]
    for (const strategy of [localFirst(), leastLoaded(), leastLoaded({ choices: 2 })]) {
      // The bound: ceil(1.25 x 200 / 3) = 84, so 16 of a's 100 keys go.
      const holdings = mine.map((key, i) => ({ key, busy: i === 99 }))
      const moves = planJoin('a', holdings, loads, strategy)
      expect(moves.map((m) => m.key), strategy.name).toEqual(mine.slice(83, 99).reverse())
      expect(moves.every((m) => m.to === 'c'), strategy.name).toBe(true)
      expect(planJoin('a', idle(mine.slice(0, 80)), [{ node: 'a', keys: 80 }, { node: 'b', keys: 120 }, { node: 'c', keys: 0 }], strategy)).toEqual([])
    }
  })

  it('a leave moves every key to the other nodes that take keys, within the bound, busy keys last', () => {
    const mine = keys(90)
    const loads: NodeLoad[] = [{ node: 'a', keys: 90 }, { node: 'b', keys: 60 }, { node: 'c', keys: 60 }, { node: 'd', keys: 0, overloaded: true }]
    for (const strategy of [boundedHashing(), localFirst(), leastLoaded()]) {
      const moves = planLeave('a', mine.map((key, i) => ({ key, busy: i < 5 })), loads, strategy)
      expect(moves.map((m) => m.key), strategy.name).toEqual([...mine.slice(5), ...mine.slice(0, 5)])
      const to = (node: string) => moves.filter((m) => m.to === node).length
      expect(to('a') + to('d'), strategy.name).toBe(0)
      // ceil(1.25 x 210 / 2) = 132 at most on each of b and c.
      expect(60 + to('b'), strategy.name).toBeLessThanOrEqual(132)
      expect(60 + to('c'), strategy.name).toBeLessThanOrEqual(132)
    }
    expect(planLeave('a', idle(mine), [{ node: 'a', keys: 90 }, { node: 'b', keys: 0, overloaded: true }], boundedHashing())).toEqual([])
  })
})
