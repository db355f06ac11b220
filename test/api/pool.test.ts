import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import {
  CallTimeoutError,
  ChildStartError,
  DEFAULT_POOL_IDLE_TIMEOUT,
  InvalidOptionError,
  KeyTakenError,
  MemoryStore,
  respond,
  startPool,
  type Pool
} from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { deferred } from '../support/deferred'

const started = stoppedAfterEach<Pool>()

type Event = { type: 'add'; item: string } | { type: 'get' } | { type: 'count' }
/** A list per key; `count` answers its length. */
const list = fromTransition(
  (items: string[], e: Event) => {
    if (e.type === 'count') respond(items.length)
    return e.type === 'add' ? [...items, e.item] : items
  },
  ({ input }: { input: string[] | undefined }) => input ?? []
)

async function pool(options: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const p = await startPool({ logic: list, clock, ...options })
  started.push(p)
  return { clock, pool: p }
}

describe('keyed pools', () => {
  it('1,000 concurrent first messages to one key start one branch, and all are delivered', async () => {
    const { pool: p } = await pool()
    const calls = Array.from({ length: 1000 }, (_, i) => p.call('k', { type: 'add', item: String(i) }))
    const states = (await Promise.all(calls)) as string[][]
    expect(p.size).toBe(1)
    expect(p.supervisor.countChildren().active).toBe(1)
    expect(states.at(-1)).toHaveLength(1000)
    expect(states.at(-1)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i))) // in order
  })

  it('routes each key to its own branch; casts keep their order across the start', async () => {
    const { pool: p } = await pool()
    p.cast('a', { type: 'add', item: 'a1' })
    p.send('b', { type: 'add', item: 'b1' })
    p.cast('a', { type: 'add', item: 'a2' })
    expect(await p.call('a', { type: 'get' })).toEqual(['a1', 'a2'])
    expect(await p.call('b', { type: 'get' })).toEqual(['b1'])
    expect(p.keys().sort()).toEqual(['a', 'b'])
    expect(p.branch('a')).not.toBe(p.branch('b'))
  })

  it(`passivates an idle key's branch after ${DEFAULT_POOL_IDLE_TIMEOUT} ms by default, and brings it back on its next message`, async () => {
    expect(DEFAULT_POOL_IDLE_TIMEOUT).toBe(10_000)
    const { clock, pool: p } = await pool()
    await p.call('a', { type: 'add', item: 'x' })
    clock.advance(10_000)
    expect(p.branch('a')?.status).toBe('passivated')
    expect(p.branch('a')?.worker()).toBeUndefined()
    expect(p.supervisor.tree().children?.[0]).toMatchObject({ id: 'a', kind: 'branch', status: 'passivated' })
    expect(await p.call('a', { type: 'count' })).toBe(1)
    expect(p.branch('a')?.status).toBe('running')
  })

  it('a key whose branch stopped starts again on its next message; durable, from the store', async () => {
    const store = new MemoryStore()
    const first = await pool({ id: 'carts', durable: { store } })
    await first.pool.call('k', { type: 'add', item: 'kept' })
    await first.pool.branch('k')?.stop()
    expect(first.pool.branch('k')).toBeUndefined()
    expect(await first.pool.call('k', { type: 'get' })).toEqual(['kept'])
    await first.pool.stop()

    // Another process: a new pool on the same store.
    const again = await pool({ id: 'carts', durable: { store } })
    expect(await again.pool.call('k', { type: 'get' })).toEqual(['kept'])
    expect(await store.listIds()).toEqual(['carts/k'])
  })

  it('a seeded branch answers follow-ups without recomputing', async () => {
    let computations = 0
    const compute = (key: string) => (computations++, [`${key}:result`])
    const { pool: p } = await pool({ input: () => compute('never') })
    await p.seed('report', compute('report'))
    for (let i = 0; i < 10; i++) expect(await p.call('report', { type: 'get' })).toEqual(['report:result'])
    expect(computations).toBe(1)
    await expect(p.seed('report', [])).rejects.toBeInstanceOf(KeyTakenError)
  })

  it('a seed on a durable pool replaces what the store held for the key', async () => {
    const store = new MemoryStore()
    const { pool: p } = await pool({ id: 'seeded', durable: { store, mode: 'journal' } })
    await p.call('k', { type: 'add', item: 'old' })
    await p.branch('k')?.stop()
    await p.seed('k', ['new'])
    await p.call('k', { type: 'add', item: 'more' })
    await p.stop()
    const again = await pool({ id: 'seeded', durable: { store, mode: 'journal' } })
    expect(await again.pool.call('k', { type: 'get' })).toEqual(['new', 'more'])
  })

  it('a branch that fails to start rejects the calls that waited for it; the next message tries again', async () => {
    let fail = true
    const { pool: p } = await pool({
      input: () => {
        if (fail) throw new Error('no input today')
        return ['ok']
      }
    })
    const [a, b] = await Promise.all([p.call('k', { type: 'get' }).catch((e) => e), p.call('k', { type: 'get' }).catch((e) => e)])
    expect(a).toBeInstanceOf(ChildStartError)
    expect(b).toBe(a)
    fail = false
    expect(await p.call('k', { type: 'get' })).toEqual(['ok'])
  })

  it("a call's timeout counts from the call, its branch's start included; the message is still delivered", async () => {
    const gate = deferred<void>()
    // A store slow to answer: the key's branch can't start until the gate opens.
    class SlowStore extends MemoryStore {
      override async loadSnapshot(id: string) {
        await gate.promise
        return super.loadSnapshot(id)
      }
    }
    const { clock, pool: p } = await pool({ durable: { store: new SlowStore() } })
    const late = p.call('k', { type: 'add', item: 'a' }, { timeout: 100 })
    clock.advance(100)
    await expect(late).rejects.toBeInstanceOf(CallTimeoutError)
    gate.resolve()
    await expect(p.call('k', { type: 'get' })).resolves.toEqual(['a'])
  })

  it('maxKeys caps the live branches; bad options and keys get typed errors', async () => {
    const { pool: p } = await pool({ maxKeys: 1 })
    await p.call('a', { type: 'get' })
    await expect(p.call('b', { type: 'get' })).rejects.toMatchObject({ name: 'SupervisorFullError' })
    await expect(p.call('', { type: 'get' })).rejects.toBeInstanceOf(InvalidOptionError)
    expect(() => p.cast('a', { type: 1 } as never)).toThrow()
    await expect(startPool({ logic: list, durable: { store: new MemoryStore(), id: 'x' } as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startPool({ logic: list, idleTimeout: -5 })).rejects.toBeInstanceOf(InvalidOptionError)
    await p.stop()
    await expect(p.call('a', { type: 'get' })).rejects.toMatchObject({ name: 'SupervisorStoppedError' })
  })
})
