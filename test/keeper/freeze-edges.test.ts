import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
import { Keeper } from '../../src/keeper/Keeper'

// No walk fails in this file: what is checked here holds in a process where no state was ever refused.

const snap = (context: unknown) => ({ status: 'active', output: undefined, error: undefined, context }) as Snapshot<unknown>

function kept(context: unknown): Keeper {
  const keeper = new Keeper()
  keeper.open(1)
  expect(keeper.accept(1, snap(context))).toBe(true)
  return keeper
}

class Device {
  commands = 0
  send(): number {
    return ++this.commands
  }
}

describe('what the keeper freezes, and what it leaves', () => {
  it('a class instance in the state (a device handle) is left as it is, and stays usable', () => {
    const device = new Device()
    const context = { device, list: [device] }
    kept(context)
    expect(Object.isFrozen(context)).toBe(true)
    expect(Object.isFrozen(context.list)).toBe(true)
    expect(Object.isFrozen(device)).toBe(false)
    expect(device.send()).toBe(1)
  })

  it('an object without a prototype is plain data: frozen with what it holds', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { inner: { n: 1 } })
    kept({ bare })
    expect(Object.isFrozen(bare)).toBe(true)
    expect(Object.isFrozen(bare.inner)).toBe(true)
  })

  it('an already-frozen state is not walked again: a getter under it is not run', () => {
    let reads = 0
    const shared = Object.freeze(
      Object.defineProperty({}, 'lazy', {
        enumerable: true,
        get: () => ++reads
      })
    )
    const keeper = kept(shared)
    expect(keeper.state).toBe(shared)
    kept({ again: shared, list: [shared] })
    expect(reads).toBe(0)
  })

  it('an object reached twice is frozen once, with what it holds', () => {
    const twice = { inner: { n: 1 } }
    const context = { a: twice, b: [twice], c: new Map([['k', twice]]) }
    kept(context)
    expect(Object.isFrozen(twice)).toBe(true)
    expect(Object.isFrozen(twice.inner)).toBe(true)
    expect(Object.isFrozen(context.b)).toBe(true)
  })

  it('a state that is a number or a string is kept as it is', () => {
    expect(kept(42).state).toBe(42)
    expect(kept('text').state).toBe('text')
    expect(kept(undefined).state).toBeUndefined()
  })
})
