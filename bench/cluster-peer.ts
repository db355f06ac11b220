/**
 * The other process of the cluster benchmark: a node holding the branch the
 * bench calls (and some keys of the cluster pool `bench`), and, on a connection of its own, a raw NATS responder that
 * echoes each request (the floor). Told the NATS URL, the cluster and, for a
 * keyed cluster, its `clusterKey` option (JSON) in argv; says `ready`.
 */
import { connect } from '@nats-io/transport-node'
import { startNode, type ClusterKeyOptions } from '../src/cluster'
import { benchPools, counterMachine } from './logics'

const [servers, cluster, key] = process.argv.slice(2) as [string, string, string | undefined]
const node = await startNode({ servers, cluster, nodeId: 'peer', kinds: { counter: { logic: counterMachine('keepsake') } }, pools: benchPools, ...(key ? { clusterKey: JSON.parse(key) as ClusterKeyOptions } : {}) })
await node.startBranch({ kind: 'counter', name: 'bench-counter' })
const raw = await connect({ servers })
raw.subscribe(`bench.${cluster}.raw`, { callback: (error, msg) => void (error || msg.respond(msg.data)) })
await raw.flush()
process.on('message', async () => {
  await node.stop()
  await raw.close()
  process.exit(0)
})
process.send?.('ready')
