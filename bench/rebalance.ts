import { fromTransition } from 'xstate'
import { MemoryStore, type KeeperStore } from '../src/index'
import { PostgresStore } from '../src/postgres'
import { ClusterNode, localFirst, type ClusterPool } from '../src/cluster'
import { readNodeOptions } from '../src/cluster/options'
import { loadNats } from '../src/cluster/nats'
import { startNats } from '../test/support/nats'
import { startPostgres } from '../test/support/postgres'

// `npx tsx bench/rebalance.ts [keys] [lease ms]`: the time a join takes to rebalance a cluster pool (issue 21,
// design section 8). Two nodes hold `keys` in-memory keys (default 1,000), a third joins; reported: when the
// old nodes planned (the settle period, two heartbeats, plus up to one heartbeat to notice), how long their
// moves took, how many keys moved, and what a caller calling 100 of the keys throughout saw. The three nodes
// run in this one process (one event loop, on a 2-core machine shared with other work): owner and target
// of every move share a core, so the move time is an upper bound. On a private nats-server on loopback.
//
// `npx tsx bench/rebalance.ts leave [keys] [memory|pg]`: a graceful leave. One node of three holds `keys` durable
// keys (default 3,000; local-first, unbounded, so all are placed on it), in a MemoryStore shared by the three or
// in PostgreSQL (a private server, one pool of 10 connections for the three); it stops. Reported: how long its
// stop took (the leave's deadline is 10 s), how many keys moved or failed, when the last moved key was active on
// its new node (each starts there from the store after its move), and whether every key then answers from a node
// that took it in the move (none placed again from the store on its next message) with its state.

const journal = fromTransition((ids: readonly string[], event: { type: 'add'; id: string } | { type: 'get' }) => (event.type === 'add' ? [...ids, event.id] : ids), [] as readonly string[])

async function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000)
  const lease = Number(process.argv[3] ?? 3000)
  const [nats] = await Promise.all([startNats(), loadNats()])
  const start = (nodeId: string) => ClusterNode._start(readNodeOptions({ servers: nats.url, cluster: 'rebalance', nodeId, leaseTtl: lease, pools: { bench: { logic: journal } } }))
  const nodes: ClusterNode[] = []
  try {
    nodes.push(...(await Promise.all(['a', 'b'].map(start))))
    const [a, b] = nodes as [ClusterNode, ClusterNode]
    const pool = (node: ClusterNode): ClusterPool => node.pool('bench')
    await until(() => [a, b].every((node) => node.nodes().length === 2 && pool(node).moves().plans >= 1), 'a and b settled')
    const keys = Array.from({ length: count }, (_, i) => `key-${i}`)
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => pool(a).call(key, { type: 'add', id: 'first' })))
    const held = { a: pool(a).keys().length, b: pool(b).keys().length }

    // A caller on a, round after round over 100 keys, through the join.
    let calling = true
    let calls = 0
    const failures: string[] = []
    const caller = (async () => {
      for (let round = 0; calling; round++) {
        await Promise.all(keys.slice(0, 100).map((key) => pool(a).call(key, { type: 'add', id: `c#${round}` }).then(() => calls++, (error: Error) => void failures.push(error.name))))
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()

    const joinAt = Date.now()
    const c = await start('c')
    nodes.push(c)
    const started = Date.now()
    await until(() => [a, b].every((node) => pool(node).moves().plans >= 2), 'a and b planned for c')
    const plannedAt = Date.now()
    const done = (node: ClusterNode) => {
      const m = pool(node).moves()
      return m.movedOut + m.failed >= m.planned
    }
    await until(() => done(a) && done(b), 'the moves done')
    const doneAt = Date.now()
    calling = false
    await caller
    const [ma, mb] = [pool(a).moves(), pool(b).moves()]
    const moved = ma.movedOut + mb.movedOut
    // Every moved key kept its state.
    const lost = (await Promise.all(pool(c).keys().map(async (key) => ((await pool(c).call(key, { type: 'get' })) as string[])[0] !== 'first'))).filter(Boolean).length
    const result = {
      keys: count,
      lease,
      before: held,
      after: { a: pool(a).keys().length, b: pool(b).keys().length, c: pool(c).keys().length },
      moved,
      movedShare: Number((moved / count).toFixed(3)),
      failed: ma.failed + mb.failed,
      startMs: started - joinAt,
      planMs: plannedAt - started,
      movesMs: doneAt - plannedAt,
      keysPerSecond: Math.round(moved / ((doneAt - plannedAt) / 1000)),
      callerCalls: calls,
      callerFailures: failures.length,
      stateLost: lost
    }
    console.log(JSON.stringify(result))
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
    await nats.stop()
  }
}

/** A graceful leave of a node holding `count` durable keys (see the head of this file). */
async function leave(count: number, storeKind: string): Promise<void> {
  const [nats, pg] = await Promise.all([startNats(), storeKind === 'pg' ? startPostgres() : undefined, loadNats()])
  const store: KeeperStore = pg ? await PostgresStore.open({ config: pg.connection, schema: 'leave' }) : new MemoryStore()
  const pools = { bench: { logic: journal, durable: { store }, strategy: localFirst({ epsilon: Infinity }), idleTimeout: Infinity } }
  const start = (nodeId: string) => ClusterNode._start(readNodeOptions({ servers: nats.url, cluster: 'leave', nodeId, leaseTtl: 3000, pools }))
  const nodes: ClusterNode[] = []
  try {
    nodes.push(...(await Promise.all(['a', 'b', 'c'].map(start))))
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode]
    const pool = (node: ClusterNode): ClusterPool => node.pool('bench')
    await until(() => nodes.every((node) => node.nodes().length === 3 && pool(node).moves().plans >= 1), 'the three settled')
    const keys = Array.from({ length: count }, (_, i) => `key-${i}`)
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => pool(c).call(key, { type: 'add', id: 'first' })))
    const held = pool(c).keys().length
    const stopAt = Date.now()
    await c.stop()
    const stopMs = Date.now() - stopAt
    nodes.splice(nodes.indexOf(c), 1)
    const moves = pool(c).moves()
    // A durable key's move is made once its record names the target, which starts it right after (from the store).
    await until(() => pool(a).keys().length + pool(b).keys().length >= moves.movedOut, 'the moved keys active')
    const activeMs = Date.now() - stopAt
    const after = { a: pool(a).keys().length, b: pool(b).keys().length }
    const taken = new Set([...pool(a).keys(), ...pool(b).keys()])
    // Every key answers with its state; a key not taken in the move would be placed again (from the store) by this call.
    const callAt = Date.now()
    let lost = 0
    for (let i = 0; i < keys.length; i += 100) {
      const got = await Promise.all(keys.slice(i, i + 100).map(async (key) => (await pool(a).call(key, { type: 'get' })) as string[]))
      lost += got.filter((ids) => ids[0] !== 'first').length
    }
    const callMs = Date.now() - callAt
    const result = {
      mode: 'leave',
      store: storeKind,
      keys: count,
      heldByLeaving: held,
      stopMs,
      movedOut: moves.movedOut,
      failed: moves.failed,
      keysPerSecond: Math.round(moves.movedOut / (stopMs / 1000)),
      allActiveMs: activeMs,
      after,
      placedAgainFromStore: keys.filter((key) => !taken.has(key)).length,
      stateLost: lost,
      callAllMs: callMs
    }
    console.log(JSON.stringify(result))
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
    if (store instanceof PostgresStore) await store.close()
    await Promise.all([nats.stop(), pg?.stop()])
  }
}

if (process.argv[2] === 'leave') await leave(Number(process.argv[3] ?? 3000), process.argv[4] ?? 'memory')
else await main()
