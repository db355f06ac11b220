import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { MemoryStore, startPool, SupervisorFullError, type Pool } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'
import { deferred, turns } from '../support/deferred'

// A burst of durable keys starting at once (a cluster node's failover or a leave's handover, thousands of keys):
// their recoveries from the store run side by side, a bounded number at a time, not one after the other inside the
// pool's supervisor (which handles one request at a time); what a start guaranteed before stays.

const started = stoppedAfterEach<Pool>()

type Event = { type: 'add'; item: string } | { type: 'get' }
const list = fromTransition((items: string[], e: Event) => (e.type === 'add' ? [...items, e.item] : items), [] as string[])

/** A store whose loads wait for `gate`, counting those in flight. */
class GatedLoads extends MemoryStore {
  readonly gate = deferred<void>()
  loading = 0
  most = 0
  loads = 0

  override async loadSnapshot(id: string) {
    this.loads++
    this.loading++
    this.most = Math.max(this.most, this.loading)
    try {
      await this.gate.promise
      return await super.loadSnapshot(id)
    } finally {
      this.loading--
    }
  }
}

async function gatedPool(options: { maxKeys?: number } = {}) {
  const store = new GatedLoads()
  const pool = await startPool({ logic: list, idleTimeout: Infinity, durable: { store }, ...options })
  started.push(pool)
  return { pool, store }
}

describe("a burst of a durable pool's keys starting at once", () => {
  it('recovers them side by side, at most 16 at a time, each answered once up', async () => {
    const { pool, store } = await gatedPool()
    const keys = Array.from({ length: 40 }, (_, i) => `k-${i}`)
    const replies = keys.map((key) => pool.call(key, { type: 'add', item: key }))
    await turns()
    expect(store.loading).toBe(16)
    store.gate.resolve()
    expect(await Promise.all(replies)).toEqual(keys.map((key) => [key]))
    expect(store.most).toBe(16)
  })

  it('a stop during the starts: they reject with SupervisorStoppedError once their reads end, and leave nothing running', async () => {
    const { pool, store } = await gatedPool()
    const replies = ['a', 'b', 'c'].map((key) => pool.call(key, { type: 'add', item: key }))
    await turns()
    await pool.stop()
    store.gate.resolve()
    for (const reply of await Promise.allSettled(replies)) expect(reply).toMatchObject({ status: 'rejected', reason: { name: 'SupervisorStoppedError' } })
    await turns()
    expect(store.loading).toBe(0)
    expect(pool.keys()).toEqual([])
  })

  it('maxKeys refuses a key beyond it before anything of it is read or written', async () => {
    const { pool, store } = await gatedPool({ maxKeys: 2 })
    store.gate.resolve()
    await Promise.all([pool.call('a', { type: 'get' }), pool.call('b', { type: 'get' })])
    const loads = store.loads
    await expect(pool.call('c', { type: 'add', item: 'c' })).rejects.toThrow(SupervisorFullError)
    expect(store.loads).toBe(loads)
    expect(await store.loadSnapshot(`${pool.id}/c`)).toBeUndefined()
  })
})
