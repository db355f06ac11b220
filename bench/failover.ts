import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { startNats } from '../test/support/nats'
import { startPostgres } from '../test/support/postgres'
import type { Profile } from './profile'
import { row, type Group } from './report'
import { summarizeTimes } from './stats'

/** Durable keys on the node that is killed (issue 21: 1,000). */
const KEYS = 1000

interface Peer {
  readonly child: ChildProcess
  run<T>(op: string, args?: Record<string, unknown>): Promise<T>
}

/** A node of the benchmark in its own process (bench/failover-node.ts); resolves once it has joined. */
async function startPeer(argv: string[]): Promise<Peer> {
  const child = fork(new URL('./failover-node.ts', import.meta.url).pathname, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()
  let next = 0
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a failover node exited (${code}) before it joined`)))
    child.on('message', (m: { ready?: boolean; id?: number; value?: unknown; error?: string }) => {
      if (m.ready) return resolve()
      const w = waiting.get(m.id as number)
      waiting.delete(m.id as number)
      if (m.error !== undefined) w?.reject(new Error(m.error))
      else w?.resolve(m.value)
    })
  })
  const run = <T>(op: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = ++next
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ id, op, args })
    })
  return { child, run }
}

/** `eager-idle`: eager failover with no message sent after the kill (the time until the survivors hold every key). */
type Mode = 'lazy' | 'eager' | 'eager-idle'

interface Run {
  readonly mode: Mode
  readonly lease: number
  readonly placed: number
  readonly times: number[]
  readonly errors: Record<string, number>
  readonly lapseSeen: number | null
  readonly before: Record<string, number>
  readonly spread: Record<string, number>
  /** Keys taken over by eager failover, on the caller and the other node. */
  readonly taken: number
}

/** Three nodes; KEYS durable keys placed on `victim`; kill -9 of it; then the caller calls each key until it answers. */
async function failover(mode: Mode, lease: number, cluster: string, nats: string, pg: string): Promise<Run> {
  const peers = await Promise.all(['caller', 'other', 'victim'].map((node) => startPeer([nats, cluster, node, String(lease), pg, mode === 'lazy' ? 'lazy' : 'eager'])))
  const [caller, other, victim] = peers as [Peer, Peer, Peer]
  try {
    const { keys, placed } = await caller.run<{ keys: string[]; placed: number }>('warm', { count: KEYS, on: 'victim' })
    const before = { caller: await caller.run<number>('count'), other: await other.run<number>('count'), victim: await victim.run<number>('count') }
    // Two heartbeat periods, in both modes: the victim's manifest (eager) is rewritten once a period.
    await new Promise((resolve) => setTimeout(resolve, Math.ceil((2 * lease) / 3) + 200))
    victim.child.kill('SIGKILL')
    await once(victim.child, 'exit')
    const since = Date.now()
    const back =
      mode === 'eager-idle'
        ? { times: [await held(caller, other, before.caller + before.other + keys.length, since)], errors: {}, lapseSeen: null }
        : await caller.run<{ times: number[]; errors: Record<string, number>; lapseSeen: number | null }>('recall', { keys, since, deadline: 120_000, killed: 'victim' })
    const spread = { caller: await caller.run<number>('count'), other: await other.run<number>('count') }
    const taken = (await Promise.all([caller, other].map((p) => p.run<{ taken: number }>('failovers')))).reduce((n, f) => n + f.taken, 0)
    return { mode, lease, placed, ...back, before, spread, taken }
  } finally {
    await Promise.all(
      [caller, other].map(async (p) => {
        const exited = once(p.child, 'exit')
        p.run('stop').catch(() => undefined)
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      })
    )
  }
}

/** ms from `since` until the two survivors hold `total` keys between them (polled every 50 ms, 120 s at most). */
async function held(caller: Peer, other: Peer, total: number, since: number): Promise<number> {
  while (Date.now() - since < 120_000) {
    const [a, b] = await Promise.all([caller.run<number>('count'), other.run<number>('count')])
    if (a + b >= total) return Date.now() - since
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the survivors did not hold all ${total} keys within 120 s`)
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/**
 * Failover of a cluster pool's durable keys (issue 21): three nodes in their
 * own processes, 1,000 keys on one of them, kill -9 of that node, and the
 * time until every key answers again on the others, called from the third
 * (lazy failover: each key comes back on its next message; eager: the live
 * nodes start the dead node's keys from its manifest as soon as its
 * heartbeat lapses). Both, at a short lease and at the default one.
 */
export async function failoverGroup(profile: Profile): Promise<Group> {
  const [nats, pg] = await Promise.all([startNats(), startPostgres()])
  try {
    const leases = profile.quick ? [2000] : [2000, 5000]
    const runs: Run[] = []
    for (const lease of leases) {
      for (const mode of ['lazy', 'eager', 'eager-idle'] as const) runs.push(await failover(mode, lease, `failover-${mode}-${lease}`, nats.url, JSON.stringify(pg.connection)))
    }
    const rows = runs.map((r) =>
      row({ name: `kill -9 of the node holding ${KEYS} durable keys to each key answering again (per key), ${r.mode} failover, lease ${seconds(r.lease)}`, subject: summarizeTimes(`${KEYS} keys`, r.times) })
    )
    const table = [
      '| failover | lease | heartbeat every | lapse seen by the caller | first key back | p50 | p99 | every key back | calls failed meanwhile | keys before (caller / other / victim) | keys after (caller / other) | taken over eagerly |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...runs.map((r) => {
        const sorted = [...r.times].sort((x, y) => x - y)
        const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
        return `| ${r.mode} | ${seconds(r.lease)} | ${seconds(Math.floor(r.lease / 3))} | ${r.lapseSeen === null ? '-' : seconds(r.lapseSeen)} | ${seconds(q(0))} | ${seconds(q(0.5))} | ${seconds(q(0.99))} | ${seconds(q(1))} | ${JSON.stringify(r.errors)} | ${r.before.caller} / ${r.before.other} / ${r.before.victim} | ${r.spread.caller} / ${r.spread.other} | ${r.taken} |`
      })
    ]
    return {
      id: 'failover',
      title: `failover: kill -9 of a node holding ${KEYS} durable keys of a cluster pool, to every key answering again`,
      rows,
      table,
      figures: Object.fromEntries(runs.flatMap((r) => [[`allBackMs@${r.mode}@${r.lease}`, Math.max(...r.times)], [`placed@${r.mode}@${r.lease}`, r.placed]])),
      notes: [
        `Three nodes in their own processes on a private nats-server and PostgreSQL (loopback), each running the pool \`accounts\` (the bench counter, durable in PostgreSQL, snapshot mode, never passivated, bounded hashing). The caller places keys until ${KEYS} are on the victim (about 3x as many placed in all), then the victim is killed with SIGKILL; from its exit the caller calls all ${KEYS} at once, each again at once after a failure, and the time of each key's first answer is taken.`,
        'Eager failover (`failover: \'eager\'`): each node rewrites its manifest once a heartbeat period; once the victim\'s heartbeat lapses, the two live nodes read it and start their shares of its keys at once (32 at a time each), and the caller\'s calls find them placed. Both modes wait two heartbeat periods between the warm-up and the kill. `eager-idle`: eager failover with no call after the kill; its one time is from the kill until the two survivors hold every key (their key counts polled every 50 ms), which lazy failover never does without messages.',
        'Lazy failover: a key comes back on its next message. Calls in flight to the dead node fail with OutcomeUnknownError once its heartbeat lapses (the lease after its last heartbeat, so between lease - lease/3 and the lease after the kill); a call meanwhile finds no responders and its route retries with a backoff. Once the lapse is seen, each key is placed again by bounded hashing over the two live nodes (a KV update of its record), recovered from PostgreSQL and fenced by its activation marker (a snapshot write, a journal read and append) before it answers.'
      ]
    }
  } finally {
    await Promise.all([nats.stop(), pg.stop()])
  }
}
