import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
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

describe('what a state shares with the one kept before it', () => {
  it('a child shared with the state kept before (an update by spreading) is not asked about again', () => {
    const keeper = kept({ list: [{ a: 1 }], settings: { on: true }, count: 0 })
    const previous = keeper.state as { list: unknown[]; settings: object; count: number }
    const isFrozen = vi.spyOn(Object, 'isFrozen')
    try {
      keeper.accept(1, snap({ ...previous, count: 1 }))
      // The new root only: its two object children are the ones the last walk froze whole.
      expect(isFrozen).toHaveBeenCalledTimes(1)
    } finally {
      isFrozen.mockRestore()
    }
    expect(Object.isFrozen(keeper.state)).toBe(true)
  })

  it('a child that changed is frozen, beside the shared ones', () => {
    const keeper = kept({ list: [{ a: 1 }], settings: { on: true } })
    const previous = keeper.state as { list: unknown[]; settings: object }
    const list = [...previous.list, { a: 2 }]
    keeper.accept(1, snap({ ...previous, list }))
    expect(Object.isFrozen(list)).toBe(true)
    expect(Object.isFrozen(list[1])).toBe(true)
  })

  it('a child shared with a class instance kept before (left unfrozen) is frozen once a plain state holds it', () => {
    class Holder {
      constructor(readonly child: { n: number }) {}
    }
    const child = { n: 1 }
    const keeper = kept(new Holder(child))
    expect(Object.isFrozen(child)).toBe(false)
    keeper.accept(1, snap({ child }))
    expect(Object.isFrozen(child)).toBe(true)
  })

  it('a child shared with a state frozen by its own maker (not walked) is frozen once a new state holds it', () => {
    const child = { n: 1 }
    const keeper = kept(Object.freeze({ child }))
    expect(Object.isFrozen(child)).toBe(false)
    keeper.accept(1, snap({ child }))
    expect(Object.isFrozen(child)).toBe(true)
  })

  it('what the kept snapshot holds after its context was swapped in place is not taken for walked', () => {
    const first = snap({ n: 1 })
    const keeper = kept({ n: 0 })
    keeper.accept(1, first)
    const child = { m: 1 }
    ;(first as unknown as { context: unknown }).context = { n: 2, child } // swapped behind the keeper's back, never walked
    keeper.accept(1, snap({ n: 3, child }))
    expect(Object.isFrozen(child)).toBe(true)
  })

  it('a child shared with an array kept before under the same index is frozen already; a new one is frozen', () => {
    const keeper = kept([{ a: 1 }])
    const previous = keeper.state as object[]
    const next = [previous[0], { a: 2 }]
    keeper.accept(1, snap(next))
    expect(next.every((item) => Object.isFrozen(item))).toBe(true)
  })
})

describe('how the walk tells plain data', () => {
  it('an own "__proto__" key (as JSON.parse makes) is data: the object is plain, and what the key holds is frozen', () => {
    const parsed = JSON.parse('{"__proto__": {"x": 1}, "y": [2]}') as Record<string, unknown>
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    kept({ parsed })
    expect(Object.isFrozen(parsed)).toBe(true)
    expect(Object.isFrozen(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value)).toBe(true)
    expect(Object.isFrozen(parsed.y)).toBe(true)
  })

  it('a class instance with an own "__proto__" key is still a class instance: left as it is', () => {
    const device = Object.defineProperty(new Device(), '__proto__', { value: { x: 1 }, enumerable: true })
    kept({ device })
    expect(Object.isFrozen(device)).toBe(false)
    expect(device.send()).toBe(1)
  })

  const run = promisify(execFile)
  const root = fileURLToPath(new URL('../..', import.meta.url))
  it.each(['throw', 'delete'])('under node --disable-proto=%s, states are frozen as they are otherwise', async (mode) => {
    const { stdout } = await run(process.execPath, [`--disable-proto=${mode}`, '--import', 'tsx', 'test/keeper/fixtures/freeze-without-proto.ts'], { cwd: root, timeout: 60_000 })
    expect(JSON.parse(stdout)).toEqual([true, true, true, true, true, true, true, true])
  }, 60_000)
})
