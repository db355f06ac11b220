import { fork } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import { connect } from '@nats-io/transport-node'
import { call } from '../src/index'
import { startNode, type ClusterKeyOptions } from '../src/cluster'
import { startNats, type NatsServer } from '../test/support/nats'
import { interleave, type Task } from './harness'
import { benchPools } from './logics'
import type { Profile } from './profile'
import { ratioAtMost, row, type Group } from './report'
import { quantile, summarizeTask, type Pool } from './stats'

const CLUSTER = 'bench'

/** Ed25519 keys in PEM: the bench's node and its peer's, each trusting the other. */
function keyPair(): { bench: ClusterKeyOptions; peer: ClusterKeyOptions } {
  const pem = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string }
  }
  const bench = pem()
  const peer = pem()
  return { bench: { privateKey: bench.privateKey, trusted: [peer.publicKey] }, peer: { privateKey: peer.privateKey, trusted: [bench.publicKey] } }
}

/** First calls to new keys by where the key went: on the asking node, or on the peer (ms, warm-up included). */
interface FirstCalls {
  readonly here: number[]
  readonly there: number[]
}

/**
 * Cluster calls against `peer` (a node of `cluster` in another process) and a
 * raw NATS request/reply between the same two processes (the peer echoes it),
 * in the same rounds.
 */
async function measure(nats: NatsServer, profile: Profile, cluster: string, keys?: { bench: ClusterKeyOptions; peer: ClusterKeyOptions }): Promise<{ samples: Pool; first: FirstCalls }> {
  const peer = fork(new URL('./cluster-peer.ts', import.meta.url).pathname, [nats.url, cluster, ...(keys ? [JSON.stringify(keys.peer)] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    await once(peer, 'message')
    const node = await startNode({ servers: nats.url, cluster, nodeId: 'bench', pools: benchPools, ...(keys ? { clusterKey: keys.bench } : {}) })
    const raw = await connect({ servers: nats.url })
    // A key of the pool placed on the peer, active there, its route cached here: the path the issue measures.
    const pool = node.pool('bench')
    let key = ''
    let fresh = 0
    const first: FirstCalls = { here: [], there: [] }
    /** A first call to a new key, its time also kept by where the key went. */
    const firstCall = async () => {
      const name = `new-${++fresh}`
      const started = performance.now()
      await pool.call(name, { type: 'get' })
      ;(pool.placement(name) === 'bench' ? first.here : first.there).push(performance.now() - started)
    }
    for (let i = 0; key === ''; i++) {
      await pool.call(`key-${i}`, { type: 'get' })
      if (pool.placement(`key-${i}`) === 'peer') key = `key-${i}`
    }
    // The same bytes a cluster call sends, so the floor carries as much.
    const payload = new TextEncoder().encode(JSON.stringify({ v: 1, c: cluster, k: 'call', n: 'bench-counter', e: { type: 'get' }, t: 5000, o: '8f14e45f-ceea-467f-a0e6-b0b3e3c1c9a1' }))
    const tasks: Task[] = [
      { name: 'cluster', async: true, fn: async () => call('bench-counter', { type: 'get' }) },
      { name: 'raw', async: true, fn: async () => raw.request(`bench.${cluster}.raw`, payload, { timeout: 5000 }) },
      ...(keys
        ? []
        : [
            { name: 'pool', async: true, fn: async () => pool.call(key, { type: 'get' }) },
            { name: 'pool-new', async: true, fn: firstCall }
          ])
    ]
    const samples = await interleave(tasks, profile.fast)
    await raw.close()
    await node.stop()
    return { samples, first }
  } finally {
    peer.send('stop')
    await Promise.race([once(peer, 'exit'), new Promise((r) => setTimeout(r, 5000))])
    if (peer.exitCode === null && peer.signalCode === null) peer.kill('SIGKILL')
  }
}

/**
 * A call to a branch in another process, through the cluster, against a raw
 * NATS request/reply between the same two processes, in the same rounds:
 * what keepsake adds to the network round trip. Then the same with a cluster
 * key (one node per process, so a second pair of nodes, measured after the
 * first): what signing and checking every request and reply costs.
 */
export async function clusterGroup(profile: Profile): Promise<Group> {
  const nats = await startNats()
  try {
    const { samples: plain, first } = await measure(nats, profile, CLUSTER)
    const { samples: signed } = await measure(nats, profile, `${CLUSTER}-keyed`, keyPair())
    const p50 = (times: readonly number[]) => (times.length ? `${Math.round(quantile([...times].sort((a, b) => a - b), 0.5) * 1000)} µs` : '-')
    const unsignedCall = summarizeTask(plain, 'cluster', 'keepsake/cluster')
    return {
      id: 'cluster',
      title: 'cluster: a call to a branch in another process, against a raw NATS request/reply between the same two processes',
      anchorTitle: 'reference',
      rows: [
        row({ name: 'call by global name, owner in another process', subject: unsignedCall, floor: summarizeTask(plain, 'raw', 'NATS request/reply'), target: ratioAtMost(2) }),
        row({ name: 'call to an active key of a cluster pool on the other node (route cached), against the call by global name', subject: summarizeTask(plain, 'pool', 'node.pool(name).call(key)'), floor: unsignedCall, target: ratioAtMost(1.2) }),
        row({ name: 'first call to a new key of a cluster pool (placement, activation, the call), against one raw NATS round trip', subject: summarizeTask(plain, 'pool-new', 'node.pool(name).call(new key)'), floor: summarizeTask(plain, 'raw', 'NATS request/reply'), target: ratioAtMost(3) }),
        row({ name: 'the same call with a cluster key (signed, checked), against it without', subject: summarizeTask(signed, 'cluster', 'keepsake/cluster, clusterKey'), floor: unsignedCall }),
        row({ name: 'call with a cluster key, against raw NATS in its own rounds', subject: summarizeTask(signed, 'cluster', 'keepsake/cluster, clusterKey'), floor: summarizeTask(signed, 'raw', 'NATS request/reply') })
      ],
      notes: [
        'Both sides run on a private nats-server on loopback, started for the group; the floor is a request of the same bytes that the other process echoes back from a subscription of its own.',
        'The pool call (issue 21) takes the same path as the call by global name: the same Route, envelope and reply on the pool subject, plus a map lookup on each side (its routing cache here, the activation and its epoch on the owner); no KV read once the key is cached. Its key is placed on the other node before the rounds, by the default bounded hashing over the two nodes.',
        'A first call to a new key: the asker sends the call itself to the node bounded hashing names (no KV read, no `place` first) and writes the key\'s placement record for that node along with it (a JetStream KV create, its answer going to that node), which starts the branch and delivers the call once the answer says the record is its own: 1 NATS round trip plus a branch start. A key bounded hashing puts on the asking node is placed in-process: the record\'s create (1 round trip) and the start. The target is the issue\'s: p50 under 3 round trips, the floor being one raw request/reply.',
        `Of the first calls (warm-up included), ${first.here.length} went to keys placed on the asking node, p50 ${p50(first.here)}, and ${first.there.length} to keys placed on the other node, p50 ${p50(first.there)}.`,
        "The cluster call adds the caller's route (pipelining, ordering), the JSON envelope and its checks on both sides, and the owner's local call to a machine branch that replies from `reply()`.",
        'With a cluster key each call is signed (Ed25519, Node crypto) and checked once each way: the request by its sender and owner, the reply by the owner and caller: two signatures and two checks on the path of every call (on a loaded 2-core machine ~160 µs a signature, ~350 µs a check, so the key adds a fixed few hundred µs per call, not a share of it). One node per process, so the keyed pair is a second pair measured after the first: the signed/unsigned ratio compares rounds taken one after the other; the last line compares it with raw NATS in its own rounds.'
      ]
    }
  } finally {
    await nats.stop()
  }
}
