/**
 * A node of the failover benchmark (bench/failover.ts), in its own process:
 * the cluster pool `accounts` (the bench's counter, durable in PostgreSQL,
 * never passivated). Told the NATS URL, cluster, node id, lease (ms), the
 * PostgreSQL connection (JSON) and the pool's failover (`lazy` or `eager`)
 * in argv; says `ready`, then answers its parent's requests over IPC.
 */
import { startNode } from '../src/cluster'
import { PostgresStore } from '../src/postgres'
import { counterMachine } from './logics'

const [servers, cluster, nodeId, lease, pg, failover = 'lazy'] = process.argv.slice(2) as [string, string, string, string, string, ('lazy' | 'eager')?]
const store = await PostgresStore.open({ config: JSON.parse(pg), schema: 'failover' })
const node = await startNode({
  servers,
  cluster,
  nodeId,
  leaseTtl: Number(lease),
  pools: { accounts: { logic: counterMachine('keepsake'), durable: { store }, idleTimeout: Infinity, failover } }
})
const pool = node.pool('accounts')

/** Keys are called this many at a time while they are placed. */
const BATCH = 50

const ops: Record<string, (a: Record<string, unknown>) => Promise<unknown>> = {
  /** Places keys `key-0`, `key-1`... until `count` of them are on node `on`; answers those keys and how many were placed in all. */
  warm: async (a) => {
    const on: string[] = []
    let next = 0
    while (on.length < (a.count as number)) {
      const batch = Array.from({ length: BATCH }, () => `key-${next++}`)
      await Promise.all(batch.map((key) => pool.call(key, { type: 'inc' })))
      for (const key of batch) if (pool.placement(key) === a.on && on.length < (a.count as number)) on.push(key)
    }
    return { keys: on, placed: next }
  },
  /**
   * Calls every key of `keys` at once, each again at once after a failure,
   * until each has answered: ms from `since` (the parent's clock, the same
   * machine's) to each key's answer, the failures by class, and when this
   * node saw node `killed`'s heartbeat lapse.
   */
  recall: async (a) => {
    const since = a.since as number
    const errors: Record<string, number> = {}
    const deadline = Date.now() + (a.deadline as number)
    // When this node stops counting the killed one live (its heartbeat lapsed here).
    let lapseSeen: number | undefined
    const watch = setInterval(() => {
      if (lapseSeen === undefined && !node.nodes().includes(a.killed as string)) lapseSeen = Date.now() - since
    }, 10)
    const times = await Promise.all(
      (a.keys as string[]).map(async (key) => {
        for (;;) {
          try {
            await pool.call(key, { type: 'get' }, { timeout: 30_000 })
            return Date.now() - since
          } catch (error) {
            const name = (error as Error).name
            errors[name] = (errors[name] ?? 0) + 1
            if (Date.now() > deadline) throw error
          }
        }
      })
    )
    clearInterval(watch)
    return { times, errors, lapseSeen: lapseSeen ?? null }
  },
  /** How many keys of the pool are active here. */
  count: async () => pool.keys().length,
  /** What eager failover did here. */
  failovers: async () => pool.failovers(),
  stop: async () => {
    await node.stop()
    await store.close()
    process.exit(0)
  }
}

process.on('message', (message: { id: number; op: string; args: Record<string, unknown> }) => {
  const op = ops[message.op]
  if (!op) return process.send?.({ id: message.id, error: `no op ${message.op}` })
  op(message.args).then(
    (value) => process.send?.({ id: message.id, value }),
    (error: unknown) => process.send?.({ id: message.id, error: String(error) })
  )
})
process.send?.({ ready: true })
