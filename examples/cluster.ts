/**
 * Three cluster nodes in one command: each is a child process of this one,
 * on a private nats-server (started here on a free loopback port). Node a
 * starts four counters with a durable keeper; node b calls one of them; a
 * moves it to c; then a is killed with SIGKILL, and its other counters come
 * back on b and c with every acknowledged count (their keeper is a SQLite
 * file the three processes share: across machines, use PostgresStore).
 *
 * Run: npx tsx examples/cluster.ts   (needs nats-server on PATH)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromTransition } from 'xstate'
import { call } from '../src/index'
import { startNode } from '../src/cluster'
import { SqliteStore } from '../src/sqlite'
import { answer, startChild, startNats, type Node } from './support/children'

const counter = fromTransition((count: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? count + 1 : count), 0)
const LEASE = 1500

if (process.argv[2] === 'node') await runNode(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string)
else await main()

/** One node: joins the cluster and does what the parent asks over IPC. */
async function runNode(id: string, servers: string, file: string): Promise<void> {
  const store = await SqliteStore.open(file)
  const node = await startNode({ servers, cluster: 'example', nodeId: id, leaseTtl: LEASE, kinds: { counter: { logic: counter, durable: { store } } } })
  const ops: Record<string, (arg: string) => Promise<unknown> | unknown> = {
    start: async (name) => (await node.startBranch({ kind: 'counter', name })).id,
    inc: (name) => call(name, { type: 'inc' }),
    get: (name) => call(name, { type: 'get' }),
    move: (arg) => node.transfer(...(arg.split(' ') as [string, string])),
    held: () => node.held().sort()
  }
  answer(id, ops)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-cluster-example-'))
  const nats = await startNats(dir)
  const nodes = new Map<string, Node>()
  try {
    for (const id of ['a', 'b', 'c']) nodes.set(id, await startChild(id, nats.url, join(dir, 'counters.db')))
    const [a, b, c] = ['a', 'b', 'c'].map((id) => nodes.get(id) as Node) as [Node, Node, Node]

    const names = ['counter-1', 'counter-2', 'counter-3', 'counter-4']
    for (const name of names) await a.ask('start', name)
    console.log(`node a runs ${(await a.ask<string[]>('held')).join(', ')}`)
    for (const name of names) for (let i = 0; i < 3; i++) await b.ask('inc', name)
    console.log(`node b counted 3 on each, through the cluster: counter-1 is ${await b.ask('get', 'counter-1')}`)

    await a.ask('move', 'counter-1 c')
    console.log(`moved counter-1 to node c: c runs ${(await c.ask<string[]>('held')).join(', ')}; node b still reads ${await b.ask('get', 'counter-1')}`)

    a.child.kill('SIGKILL')
    await new Promise((resolve) => a.child.once('exit', resolve))
    console.log('killed node a (kill -9), which ran counter-2, counter-3, counter-4')
    const orphans = names.slice(1)
    for (;;) {
      const held = [...(await b.ask<string[]>('held')), ...(await c.ask<string[]>('held'))]
      if (orphans.every((name) => held.includes(name))) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const counts = await Promise.all(orphans.map((name) => b.ask<number>('get', name)))
    console.log(`counter-2, counter-3, counter-4 came back on the surviving nodes with counts ${counts.join(', ')}: nothing lost`)
  } finally {
    for (const node of nodes.values()) node.child.kill('SIGKILL')
    await Promise.all([...nodes.values()].map((node) => (node.child.exitCode === null && node.child.signalCode === null ? new Promise((r) => node.child.once('exit', r)) : undefined)))
    nats.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
