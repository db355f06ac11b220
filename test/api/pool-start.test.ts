import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createMachine, fromTransition } from 'xstate'
import {
  BranchStoppedError,
  CallTimeoutError,
  ChildStartError,
  InvalidOptionError,
  KeyTakenError,
  MemoryStore,
  startPool,
  SupervisorStoppedError,
  type NewSnapshot,
  type Pool
} from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { deferred } from '../support/deferred'

// What a call does while its key's branch is still starting (the caller's timeout and signal
// count from the call), and the pool's option paths: each one observed, so that a mutant that
// drops a cleanup or an option is caught (issue 15's mutation score).

const started = stoppedAfterEach<Pool>()

type Event = { type: 'add'; item: string } | { type: 'get' }
const list = fromTransition(
  (items: string[], e: Event) => (e.type === 'add' ? [...items, e.item] : items),
  ({ input }: { input: string[] | undefined }) => input ?? []
)

/** A store whose loads wait for a gate, and whose writes of a state holding `held` wait for another. */
class GatedStore extends MemoryStore {
  readonly load = deferred<void>()
  /** Resolved when a write of a state holding `held` begins. */
  readonly writing = deferred<void>()
  held: { item: string; until: Promise<void> } | undefined

  override async loadSnapshot(id: string) {
    await this.load.promise
    return super.loadSnapshot(id)
  }

  override async saveSnapshot(id: string, snapshot: NewSnapshot) {
    if (this.held && JSON.stringify(snapshot).includes(this.held.item)) {
      this.writing.resolve()
      await this.held.until
    }
    return super.saveSnapshot(id, snapshot)
  }
}

/** A pool on a manual clock that never passivates, so its only timers are the calls'. */
async function gatedPool(store = new GatedStore()) {
  const clock = new ManualClock()
  const pool = await startPool({ logic: list, clock, idleTimeout: Infinity, durable: { store } })
  started.push(pool)
  return { clock, pool, store }
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length
/** Lets every settled promise's handlers run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe("a pool call while its key's branch starts", () => {
  it('aborted before the call: rejects with the reason at once and starts nothing', async () => {
    const { pool } = await gatedPool()
    const controller = new AbortController()
    controller.abort(new Error('gone'))
    await expect(pool.call('k', { type: 'get' }, { signal: controller.signal })).rejects.toThrow('gone')
    expect(pool.size).toBe(0)
  })

  it('aborted during the start: rejects with the reason, its message is taken back, and nothing is left behind', async () => {
    const { clock, pool, store } = await gatedPool()
    const controller = new AbortController()
    const reason = new Error('caller left')
    const call = pool.call('k', { type: 'add', item: 'taken back' }, { signal: controller.signal, timeout: 1000 })
    expect(abortListeners(controller.signal)).toBe(1)
    controller.abort(reason)
    await expect(call).rejects.toBe(reason)
    expect(abortListeners(controller.signal)).toBe(0)
    expect(clock.pending).toBe(0)
    store.load.resolve()
    expect(await pool.call('k', { type: 'get' })).toEqual([])
  })

  it('timed out during the start: CallTimeoutError naming the key and the full timeout; the message is still delivered', async () => {
    const { clock, pool, store } = await gatedPool()
    const controller = new AbortController()
    const call = pool.call('k', { type: 'add', item: 'late' }, { signal: controller.signal, timeout: 100 })
    clock.advance(99)
    let outcome: unknown
    call.catch((error: unknown) => (outcome = error))
    await settle()
    expect(outcome).toBeUndefined()
    clock.advance(1)
    await expect(call).rejects.toMatchObject({ name: 'CallTimeoutError', branchId: `${pool.id}/k`, timeout: 100 })
    expect(abortListeners(controller.signal)).toBe(0)
    store.load.resolve()
    expect(await pool.call('k', { type: 'get' })).toEqual(['late'])
  })

  it('once the branch is up, what is left of the timeout applies, not all of it again', async () => {
    const store = new GatedStore()
    const held = deferred<void>()
    store.held = { item: 'held-write', until: held.promise }
    const { clock, pool } = await gatedPool(store)
    clock.advance(1_000) // the call starts at a time other than 0
    const call = pool.call('k', { type: 'add', item: 'held-write' }, { timeout: 100 })
    let outcome: unknown
    call.catch((error: unknown) => (outcome = error))
    clock.advance(60)
    store.load.resolve()
    await store.writing.promise // up, and its call waits on the held write
    try {
      clock.advance(39)
      await settle()
      expect(outcome).toBeUndefined()
      clock.advance(1)
      await settle()
      expect(outcome).toBeInstanceOf(CallTimeoutError)
    } finally {
      held.resolve()
    }
  })

  it('with no timeout (Infinity), sets no timer while it waits, and is answered once the branch is up', async () => {
    const { clock, pool, store } = await gatedPool()
    const call = pool.call('k', { type: 'add', item: 'patient' }, { timeout: Infinity })
    expect(clock.pending).toBe(0)
    store.load.resolve()
    expect(await call).toEqual(['patient'])
  })

  it('answered: the timer and the abort listener are gone with the call', async () => {
    const { clock, pool, store } = await gatedPool()
    const controller = new AbortController()
    const call = pool.call('k', { type: 'add', item: 'a' }, { signal: controller.signal, timeout: 1000 })
    store.load.resolve()
    expect(await call).toEqual(['a'])
    expect(clock.pending).toBe(0)
    expect(abortListeners(controller.signal)).toBe(0)
  })

  it('a start that fails: the waiting calls get its error, with their timer and listener gone', async () => {
    const clock = new ManualClock()
    const pool = await startPool({ logic: list, clock, idleTimeout: Infinity, input: () => { throw new Error('no input') } })
    started.push(pool)
    const controller = new AbortController()
    await expect(pool.call('k', { type: 'get' }, { signal: controller.signal, timeout: 1000 })).rejects.toBeInstanceOf(ChildStartError)
    expect(clock.pending).toBe(0)
    expect(abortListeners(controller.signal)).toBe(0)
  })

  it('a branch that stops as it starts (its logic is done at once) rejects with BranchStoppedError, and is not kept', async () => {
    const done = createMachine({ types: {} as { events: { type: 'get' } }, initial: 'over', states: { over: { type: 'final' } } })
    const pool = await startPool({ logic: done })
    started.push(pool)
    await expect(pool.call('k', { type: 'get' })).rejects.toSatisfy((e) => e instanceof BranchStoppedError && e.message.includes('it stopped as it started'))
    expect(pool.keys()).toEqual([])
  })
})

describe("a pool's options and keys", () => {
  it('refuses bad options, naming each and what it must be', async () => {
    const refused = async (options: unknown) => {
      const error = (await startPool(options as never).catch((e: unknown) => e)) as InvalidOptionError
      expect(error).toBeInstanceOf(InvalidOptionError)
      return [error.option, error.message]
    }
    expect(await refused({ logic: list, input: ['a'] })).toEqual(['input', expect.stringContaining('must be a function (key) => input')])
    expect(await refused({ logic: list, durable: { store: new MemoryStore(), id: 'x' } })).toEqual(['durable.id', expect.stringContaining('must be absent: a pool names each key')])
    expect(await refused({ logic: list, idleTimeout: 'soon' })).toEqual(['idleTimeout', expect.any(String)])
    expect(await refused({ logic: list, durable: 'store' })).toEqual(['durable', expect.any(String)])
    expect(await refused('list')).toEqual(['startPool options', expect.any(String)])
    const unknown = await startPool({ logic: list, colour: 'blue' } as never).catch((e: unknown) => e)
    expect((unknown as Error).message).toContain('startPool options')
  })

  it('refuses bad keys and delays with InvalidOptionError naming them, whatever the call', async () => {
    const pool = await startPool({ logic: list })
    started.push(pool)
    for (const key of ['', 42]) {
      await expect(pool.call(key as string, { type: 'get' })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'key', message: expect.stringContaining('must be a non-empty string') })
      expect(() => pool.cast(key as string, { type: 'get' })).toThrow(expect.objectContaining({ option: 'key' }))
    }
    expect(() => pool.cast('k', { type: 'get' }, { delay: -1 })).toThrow(expect.objectContaining({ option: 'delay' }))
    await expect(pool.call('k', { type: 'get' }, { timeout: -1 })).rejects.toMatchObject({ option: 'timeout' })
    await expect(pool.seed('', [])).rejects.toMatchObject({ option: 'key' })
    await expect(pool.call('k', { type: 'get' }, 5 as never)).rejects.toMatchObject({ option: 'call options' })
    expect(() => pool.cast('k', { type: 'get' }, 5 as never)).toThrow(expect.objectContaining({ option: 'cast options' }))
    expect(pool.size).toBe(0)
  })

  it('names the pool pool-N by default and keeps each key durable under "<pool id>/<key>"', async () => {
    const store = new MemoryStore()
    const pool = await startPool({ logic: list, durable: { store } })
    started.push(pool)
    expect(pool.id).toMatch(/^pool-\d+$/)
    expect(pool.supervisor.id).toBe(pool.id)
    await pool.call('cart', { type: 'add', item: 'tea' })
    expect(await store.listIds()).toEqual([`${pool.id}/cart`])
  })

  it("gives a key's input to its first start only, never to a seeded key", async () => {
    const asked: string[] = []
    const pool = await startPool({ logic: list, input: (key) => (asked.push(key), [`${key}:input`]) })
    started.push(pool)
    expect(await pool.call('a', { type: 'get' })).toEqual(['a:input'])
    await pool.seed('b', ['seeded'])
    expect(await pool.call('b', { type: 'get' })).toEqual(['seeded'])
    expect(asked).toEqual(['a'])
  })

  it('refuses a seed for a key that is starting or live with KeyTakenError, and casts to a stopped pool with SupervisorStoppedError', async () => {
    const { pool, store } = await gatedPool()
    const first = pool.call('k', { type: 'get' })
    await expect(pool.seed('k', [])).rejects.toBeInstanceOf(KeyTakenError)
    store.load.resolve()
    await first
    await expect(pool.seed('k', [])).rejects.toBeInstanceOf(KeyTakenError)
    await pool.stop()
    expect(() => pool.cast('other', { type: 'get' })).toThrow(SupervisorStoppedError)
  })

  it('forgets a key whose branch stopped: branch(), keys() and size follow', async () => {
    const pool = await startPool({ logic: list })
    started.push(pool)
    await pool.call('a', { type: 'get' })
    await pool.call('b', { type: 'get' })
    expect([pool.size, pool.keys().sort()]).toEqual([2, ['a', 'b']])
    await pool.branch('a')?.stop()
    expect([pool.size, pool.keys(), pool.branch('a')]).toEqual([1, ['b'], undefined])
  })

  it("a cast to a live key reaches its branch, whichever way it is sent", async () => {
    const pool = await startPool({ logic: list })
    started.push(pool)
    await pool.call('k', { type: 'get' })
    pool.cast('k', { type: 'add', item: 'cast' })
    pool.send('k', { type: 'add', item: 'sent' })
    expect(await pool.call('k', { type: 'get' })).toEqual(['cast', 'sent'])
  })

  it("stops its keys' branches independently: one slow to stop holds up no other", async () => {
    const store = new GatedStore()
    store.load.resolve()
    const held = deferred<void>()
    const pool = await startPool({ logic: list, durable: { store } })
    started.push(pool)
    await pool.call('fast', { type: 'get' })
    await pool.call('slow', { type: 'get' })
    store.held = { item: 'held-write', until: held.promise }
    pool.cast('slow', { type: 'add', item: 'held-write' })
    await store.writing.promise
    const [fast, slow] = [pool.branch('fast'), pool.branch('slow')]
    const stopping = pool.stop()
    try {
      // Started first, so a supervisor stopping its children one by one in reverse would wait for "slow".
      await new Promise((resolve) => fast?.once('stop', resolve))
      expect(slow?.status).not.toBe('stopped')
    } finally {
      held.resolve()
    }
    await stopping
    expect(slow?.status).toBe('stopped')
  })

  it('send returns its message, and it arrives', async () => {
    const pool = await startPool({ logic: list })
    started.push(pool)
    const message = { type: 'add', item: 'x' } as const
    expect(pool.send('k', message)).toBe(message)
    expect(await pool.call('k', { type: 'get' })).toEqual(['x'])
  })
})
