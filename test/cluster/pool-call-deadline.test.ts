import { describe, expect, it } from 'vitest'
import { CallTimeoutError } from '../../src/index'
import { ClusterNode, localFirst } from '../../src/cluster'
import { readNodeOptions } from '../../src/cluster/options'
import { GatedStore } from '../support/stores'
import { inProcessCluster, journal } from './poolHelpers'

// A call's timeout counts from the call, its key's placement included: a call that waits for a
// placement (the key's activation reading its state back from a slow store, or a lookup waiting
// for a dead node's heartbeat to lapse) rejects at its timeout, not when the placement ends.

const harness = inProcessCluster()

describe('a cluster pool call waiting for its key to be placed', () => {
  it('rejects with CallTimeoutError at its timeout, and so does an abort, while the placement is held; the key answers once it is placed', async () => {
    const store = new GatedStore()
    let release!: () => void
    store.readGate = new Promise<void>((resolve) => (release = resolve))
    const node = await ClusterNode._start(
      readNodeOptions({ servers: harness.url, cluster: 'deadline', nodeId: 'a', pools: { held: { logic: journal, strategy: localFirst(), durable: { store } } } })
    )
    harness.nodes.push(node)
    const pool = node.pool('held')

    const since = Date.now()
    const first = pool.call('k', { type: 'add', id: 'one' }, { timeout: 200 })
    // A second call while the first one's placement is under way waits on the same placement.
    const second = pool.call('k', { type: 'get' }, { timeout: 300 })
    const aborts = new AbortController()
    const third = pool.call('k', { type: 'get' }, { signal: aborts.signal })
    await expect(first).rejects.toBeInstanceOf(CallTimeoutError)
    await expect(second).rejects.toBeInstanceOf(CallTimeoutError)
    // Both well before the held read is let go (it never is, until below).
    expect(Date.now() - since).toBeLessThan(5_000)
    aborts.abort(new Error('caller gave up'))
    await expect(third).rejects.toThrow('caller gave up')
    expect(store.loads).toBeGreaterThan(0)

    release()
    // Placed now, the key answers (the timed-out add may have gone too, as after any timeout: what is left of
    // its timeout, a millisecond, may run out on the way).
    const ids = await pool.call('k', { type: 'get' })
    expect([[], ['one']]).toContainEqual(ids)
  })
})
