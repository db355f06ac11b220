import { fromTransition } from 'xstate'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { ClusterNode, type ClusterPool } from '../../src/cluster'
import { readNodeOptions, type NodeOptions } from '../../src/cluster/options'
import { placementKey } from '../../src/cluster/keys'
import { until as untilWithin } from './nodes'

// Helpers of the cluster pool tests that run several nodes in the test's own process (ClusterNode._start):
// rebalance.test.ts, drift.test.ts.

export type JournalEvent = { type: 'add'; id: string } | { type: 'get' }

/** Records ids in order: an in-memory key's whole state, which a move must carry. */
export const journal = fromTransition((ids: readonly string[], event: JournalEvent) => (event.type === 'add' ? [...ids, event.id] : ids), [] as readonly string[])

/** Resolves once `check` holds; rejects naming `what` after `ms` (default 20 s). */
export function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  return untilWithin(check, ms, what)
}

/** The node each key's placement record names, read from the bucket of `cluster` on the nats-server at `url`. */
export async function recordedAt(url: string, cluster: string, pool: string, keys: readonly string[]): Promise<(string | undefined)[]> {
  const nc = await connect({ servers: url })
  try {
    const kv = await new Kvm(nc).open(`keepsake_${cluster}_placements`)
    return await Promise.all(
      keys.map(async (key) => {
        const entry = await kv.get(placementKey(pool, key))
        return entry?.operation === 'PUT' ? (JSON.parse(entry.string()) as { node: string }).node : undefined
      })
    )
  } finally {
    await nc.close()
  }
}

/** Which node holds each key (throws if one is held by two nodes, or none). */
export function holders(nodes: readonly ClusterNode[], pool: string, keys: readonly string[]): Map<string, string> {
  const on = new Map<string, string>()
  for (const node of nodes) {
    for (const key of node.pool(pool).keys()) {
      if (on.has(key)) throw new Error(`key ${key} is active on ${on.get(key)} and ${node.id}`)
      on.set(key, node.id)
    }
  }
  for (const key of keys) if (!on.has(key)) throw new Error(`key ${key} is active nowhere`)
  return on
}

/** A caller's loop: what it had acknowledged per key, its failures, the rounds done; `stop` ends it. */
export interface CallerLoop {
  readonly acked: Record<string, string[]>
  readonly errors: string[]
  rounds(): number
  stop(): Promise<void>
}

/**
 * A caller on one node: round after round, one `add` to every key (a key's calls one at a time, so its
 * journal must hold this caller's acknowledged ids in order, each once), until stopped. The loop is also
 * pushed on `running`, for an `afterEach` to stop a failed test's loops.
 */
export function callerLoop(pool: ClusterPool, caller: string, keys: readonly string[], running: CallerLoop[]): CallerLoop {
  const acked: Record<string, string[]> = {}
  const errors: string[] = []
  let stopping = false
  let rounds = 0
  const done = (async () => {
    for (let i = 0; !stopping; i++) {
      // Calls refused at once settle in microtasks: yielded, so timers (and the test) still run.
      await new Promise((resolve) => setImmediate(resolve))
      await Promise.all(
        keys.map((key) =>
          pool.call(key, { type: 'add', id: `${caller}#${i}` }).then(
            () => void (acked[key] ??= []).push(`${caller}#${i}`),
            (error: Error) => void errors.push(`${key}: ${error.name} ${error.message}`)
          )
        )
      )
      rounds++
    }
  })()
  const loop: CallerLoop = {
    acked,
    errors,
    rounds: () => rounds,
    async stop() {
      stopping = true
      await done
    }
  }
  running.push(loop)
  return loop
}

/** Starts nodes `ids` of `cluster` in this process, on the nats-server at `url`; each is also pushed on `running`. */
export async function startNodesAt(url: string, cluster: string, ids: readonly string[], pools: NodeOptions['pools'], lease: number, running: ClusterNode[]): Promise<ClusterNode[]> {
  const nodes = await Promise.all(ids.map((nodeId) => ClusterNode._start(readNodeOptions({ servers: url, cluster, nodeId, leaseTtl: lease, pools }))))
  running.push(...nodes)
  return nodes
}

/**
 * Waits until every node sees all of `nodes` and has planned for that membership: `plans` plans made by
 * each of the nodes that were there before (one per membership it settled on), one by the newest.
 */
export async function settled(nodes: readonly ClusterNode[], pool: string, plans: number): Promise<void> {
  const planned = (node: ClusterNode) => node.pool(pool).moves().plans >= (node === nodes.at(-1) ? 1 : plans)
  await until(() => nodes.every((node) => node.nodes().length === nodes.length && planned(node)), `every node settled (${plans} plans)`)
}
