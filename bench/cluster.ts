import { fork } from 'node:child_process'
import { once } from 'node:events'
import { connect } from '@nats-io/transport-node'
import { call } from '../src/index'
import { startNode } from '../src/cluster'
import { startNats } from '../test/support/nats'
import { interleave, type Task } from './harness'
import type { Profile } from './profile'
import { ratioAtMost, row, type Group } from './report'
import { summarizeTask } from './stats'

const CLUSTER = 'bench'

/**
 * A call to a branch in another process, through the cluster, against a raw
 * NATS request/reply between the same two processes (the other side echoes
 * it), in the same rounds: what keepsake adds to the network round trip.
 */
export async function clusterGroup(profile: Profile): Promise<Group> {
  const nats = await startNats()
  const peer = fork(new URL('./cluster-peer.ts', import.meta.url).pathname, [nats.url, CLUSTER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    await once(peer, 'message')
    const node = await startNode({ servers: nats.url, cluster: CLUSTER, nodeId: 'bench' })
    const raw = await connect({ servers: nats.url })
    // The same bytes a cluster call sends, so the floor carries as much.
    const payload = new TextEncoder().encode(JSON.stringify({ v: 1, c: CLUSTER, k: 'call', n: 'bench-counter', e: { type: 'get' }, t: 5000, o: '8f14e45f-ceea-467f-a0e6-b0b3e3c1c9a1' }))
    const tasks: Task[] = [
      { name: 'cluster', async: true, fn: async () => call('bench-counter', { type: 'get' }) },
      { name: 'raw', async: true, fn: async () => raw.request(`bench.${CLUSTER}.raw`, payload, { timeout: 5000 }) }
    ]
    const pool = await interleave(tasks, profile.fast)
    await raw.close()
    await node.stop()
    const floor = summarizeTask(pool, 'raw', 'NATS request/reply')
    return {
      id: 'cluster',
      title: 'cluster: a call to a branch in another process, against a raw NATS request/reply between the same two processes',
      anchorTitle: 'reference',
      rows: [row({ name: 'call by global name, owner in another process', subject: summarizeTask(pool, 'cluster', 'keepsake/cluster'), floor, target: ratioAtMost(2) })],
      notes: [
        'Both sides run on a private nats-server on loopback, started for the group; the floor is a request of the same bytes that the other process echoes back from a subscription of its own.',
        "The cluster call adds the caller's route (pipelining, ordering), the JSON envelope and its checks on both sides, and the owner's local call to a machine branch that replies from `reply()`."
      ]
    }
  } finally {
    peer.send('stop')
    await Promise.race([once(peer, 'exit'), new Promise((r) => setTimeout(r, 5000))])
    if (peer.exitCode === null && peer.signalCode === null) peer.kill('SIGKILL')
    await nats.stop()
  }
}
