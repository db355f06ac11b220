import { describe, expect, it } from 'vitest'
import { boundedHashing, leastLoaded, localFirst, type NodeLoad } from '../../src/cluster'
import { DriftClock, planDrift } from '../../src/cluster/drift'
import { planJoin, type Holding } from '../../src/cluster/rebalance'

// What a node's plan moves when its load drifts with no join (docs/design/cluster-pools.md, section 8), and when
// it checks: pure functions of its keys, the loads its view holds and the strategy, and a clock.

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
const idle = (ks: readonly string[]): Holding[] => ks.map((key) => ({ key, busy: false }))
const strategies = [boundedHashing(), localFirst(), leastLoaded(), leastLoaded({ choices: 2 })]

describe('drift plans', () => {
  it('a node within the bound plans nothing; above it, it sheds down to ceil((1 + eps/2) x mean), newest first, busy last', () => {
    for (const strategy of strategies) {
      // Mean 20: bound ceil(1.25 x 20) = 25; a holds 25, within it.
      expect(planDrift('a', idle(keys(25)), [{ node: 'a', keys: 25 }, { node: 'b', keys: 15 }], strategy), strategy.name).toEqual([])
      // a holds 40, b 0: mean 20, a sheds down to ceil(1.125 x 20) = 23, so 17 keys go to b.
      const mine = keys(40)
      const holdings = mine.map((key, i) => ({ key, busy: i === 39 }))
      const moves = planDrift('a', holdings, [{ node: 'a', keys: 40 }, { node: 'b', keys: 0 }], strategy)
      expect(moves.map((m) => m.key), strategy.name).toEqual(mine.slice(22, 39).reverse())
      expect(moves.every((m) => m.to === 'b'), strategy.name).toBe(true)
    }
  })

  it('just over the bound, a node moves more than one key (hysteresis), and the nodes the keys go to stay under the lower level', () => {
    // Mean 30 over 4 nodes: bound 38, lower level ceil(1.125 x 30) = 34. a holds 39: it sheds 5.
    const loads: NodeLoad[] = [{ node: 'a', keys: 39 }, { node: 'b', keys: 33 }, { node: 'c', keys: 30 }, { node: 'd', keys: 18 }]
    for (const strategy of strategies) {
      const moves = planDrift('a', idle(keys(39)), loads, strategy)
      expect(moves, strategy.name).toHaveLength(5)
      const to = (node: string) => moves.filter((m) => m.to === node).length
      expect(to('a'), strategy.name).toBe(0)
      for (const load of loads.slice(1)) expect(load.keys + to(load.node), `${strategy.name} ${load.node}`).toBeLessThanOrEqual(34)
      // After the moves, no node is above the bound: none plans again.
      for (const load of loads) {
        const after = load.node === 'a' ? 34 : load.keys + to(load.node)
        expect(planDrift(load.node, idle(keys(after)), loads.map((l) => ({ ...l, keys: l.node === 'a' ? 34 : l.keys + to(l.node) })), strategy)).toEqual([])
      }
    }
  })

  it('overloaded nodes take nothing and count out of the mean; a node alone, with no keys, or with no room anywhere plans nothing', () => {
    const mine = keys(40)
    // b is overloaded: the mean is over a and c (total 60 / 2 = 30, bound 38); a sheds to c only.
    const moves = planDrift('a', idle(mine), [{ node: 'a', keys: 40 }, { node: 'b', keys: 20, overloaded: true }, { node: 'c', keys: 0 }], boundedHashing())
    expect(moves.length).toBe(6)
    expect(new Set(moves.map((m) => m.to))).toEqual(new Set(['c']))
    expect(planDrift('a', idle(mine), [{ node: 'a', keys: 40 }], boundedHashing())).toEqual([])
    expect(planDrift('a', idle(mine), [{ node: 'a', keys: 40 }, { node: 'b', keys: 0, overloaded: true }], boundedHashing())).toEqual([])
    expect(planDrift('a', [], [{ node: 'a', keys: 40 }, { node: 'b', keys: 0 }], boundedHashing())).toEqual([])
  })

  it('a strategy that names a node without room (a user strategy ignoring the view) ends the plan there', () => {
    const stubborn = { ...localFirst(), place: () => 'a' }
    expect(planDrift('a', idle(keys(40)), [{ node: 'a', keys: 40 }, { node: 'b', keys: 0 }], stubborn)).toEqual([])
  })

  it("a join's plan for strategies that are not stable sheds by the same rule, down to the bound", () => {
    const loads: NodeLoad[] = [{ node: 'a', keys: 100 }, { node: 'b', keys: 100 }, { node: 'c', keys: 0 }]
    // The bound ceil(1.25 x 200 / 3) = 84: a join sheds 16; a drift check sheds down to ceil(1.125 x 200 / 3) = 75.
    expect(planJoin('a', idle(keys(100)), loads, localFirst())).toHaveLength(16)
    expect(planDrift('a', idle(keys(100)), loads, localFirst())).toHaveLength(25)
  })

  it('the drift clock waits a settle period from its start and after each move, and confirms drift on two checks in a row', () => {
    const clock = new DriftClock(1000, 0)
    expect(clock.due(999)).toBe(false)
    expect(clock.due(1000)).toBe(true)
    expect([true, false, true, true, true, true].map((over) => clock.confirm(over))).toEqual([false, false, false, true, false, true])
    clock.confirm(true)
    clock.moved(1500)
    expect(clock.due(2499)).toBe(false)
    expect(clock.due(2500)).toBe(true)
    // A move (or a lapse) starts afresh: the check before it does not count.
    expect(clock.confirm(true)).toBe(false)
    expect(clock.confirm(true)).toBe(true)
  })
})
