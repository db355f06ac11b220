import { fromTransition } from 'xstate'
import { ClusterNode, type ClusterPool } from '../src/cluster'
import { readNodeOptions } from '../src/cluster/options'
import { loadNats } from '../src/cluster/nats'
import { startNats } from '../test/support/nats'

// `npx tsx bench/rebalance.ts [keys] [lease ms]`: the time a join takes to rebalance a cluster pool (issue 21,
// design section 8). Two nodes hold `keys` in-memory keys (default 1,000), a third joins; reported: when the
// old nodes planned (the settle period, two heartbeats, plus up to one heartbeat to notice), how long their
// moves took, how many keys moved, and what a caller calling 100 of the keys throughout saw. The three nodes
// run in this one process (one event loop, on a 2-core machine shared with other work): owner and target
// of every move share a core, so the move time is an upper bound. On a private nats-server on loopback.

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

await main()
