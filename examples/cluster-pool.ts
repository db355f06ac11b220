/**
 * A keyed pool spread over three cluster nodes (virtual actors): each is a
 * child process of this one, on a private nats-server. Node a adds items to
 * twelve carts; the carts are placed over the three nodes (bounded hashing)
 * and kept in a SQLite file the nodes share (across machines, use
 * PostgresStore). The node holding the most carts is killed with SIGKILL:
 * once its heartbeat lapses, each of its carts comes back on a live node on
 * its next message, with every acknowledged item. Then another node leaves
 * gracefully, and its carts answer from the last node.
 *
 * Run: npx tsx examples/cluster-pool.ts   (needs nats-server on PATH)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromTransition } from 'xstate'
import { startNode } from '../src/cluster'
import { SqliteStore } from '../src/sqlite'
import { answer, startChild, startNats, type Node } from './support/children'

type CartEvent = { type: 'add'; sku: string } | { type: 'get' }
const cart = fromTransition((items: string[], e: CartEvent) => (e.type === 'add' ? [...items, e.sku] : items), [] as string[])
const LEASE = 1500

if (process.argv[2] === 'node') await runNode(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string)
else await main()

/** One node: joins the cluster with the pool `carts` and does what the parent asks over IPC. */
async function runNode(id: string, servers: string, file: string): Promise<void> {
  const store = await SqliteStore.open(file)
  const node = await startNode({ servers, cluster: 'example-pool', nodeId: id, leaseTtl: LEASE, pools: { carts: { logic: cart, durable: { store } } } })
  const carts = node.pool<typeof cart>('carts')
  answer(id, {
    add: (arg) => {
      const [key, sku] = arg.split(' ') as [string, string]
      return carts.call(key, { type: 'add', sku })
    },
    get: (key) => carts.call(key, { type: 'get' }),
    keys: () => carts.keys(),
    leave: async () => {
      await node.stop()
      await store.close()
    }
  })
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-cluster-pool-example-'))
  const nats = await startNats(dir)
  const nodes = new Map<string, Node>()
  try {
    for (const id of ['a', 'b', 'c']) nodes.set(id, await startChild(id, nats.url, join(dir, 'carts.db')))
    const [a, b, c] = ['a', 'b', 'c'].map((id) => nodes.get(id) as Node) as [Node, Node, Node]

    const keys = Array.from({ length: 12 }, (_, i) => `cart-${i + 1}`)
    for (const key of keys) for (const sku of ['tea', 'jam']) await a.ask('add', `${key} ${sku}`)
    const held = new Map<string, string[]>()
    for (const [id, node] of nodes) held.set(id, await node.ask<string[]>('keys'))
    console.log(`node a added tea and jam to 12 carts; they are spread over ${[...held.values()].filter((k) => k.length > 0).length} nodes`)

    // Kill the node holding the most carts (never a, which drives the story).
    const [victim] = (['b', 'c'] as const).slice().sort((x, y) => (held.get(y)?.length ?? 0) - (held.get(x)?.length ?? 0))
    const lost = held.get(victim as string) ?? []
    const node = nodes.get(victim as string) as Node
    node.child.kill('SIGKILL')
    await new Promise((resolve) => node.child.once('exit', resolve))
    nodes.delete(victim as string)
    console.log(`killed the node holding the most carts (kill -9): ${lost.length > 0 ? 'its carts' : 'none'} come back on their next message`)
    // Calls fail typed until its heartbeat lapses (the lease); then each cart is placed on a live node, from the store.
    const back = await Promise.all(lost.map((key) => retry(() => a.ask<string[]>('get', key))))
    const intact = back.every((items) => items.join() === 'tea,jam')
    console.log(`every cart it held answers again with its items: ${intact ? 'nothing lost' : 'LOST ITEMS'}`)

    const leaving = victim === 'b' ? c : b
    await leaving.ask('leave')
    const all = await Promise.all(keys.map((key) => a.ask<string[]>('get', key)))
    console.log(`another node left gracefully; all 12 carts answer from node a: ${all.every((items) => items.join() === 'tea,jam') && (await a.ask<string[]>('keys')).length === 12}`)
  } finally {
    for (const node of nodes.values()) node.child.kill('SIGKILL')
    await Promise.all([...nodes.values()].map((node) => (node.child.exitCode === null && node.child.signalCode === null ? new Promise((r) => node.child.once('exit', r)) : undefined)))
    nats.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `ask` until it answers (while a dead node's lease runs out, its keys' calls fail). */
async function retry<T>(ask: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await ask()
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
