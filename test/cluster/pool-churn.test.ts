import { describe, expect, it } from 'vitest'
import { PostgresStore } from '../../src/postgres'
import { MemoryStore } from '../../src/index'
import { auditActivations } from '../../src/cluster'
import { clusterServers, startNodeProcess, startNodeProcesses, until, type NodeProcess } from './nodes'
import { Ledger } from './pool-ledger'
import type { Ack, WorkloadOutcome, WorkloadPlan } from './pool-workload'

// Issue 21's "done means": 10,000 durable keys of a cluster pool under concurrent callers on every node while a
// node joins, one leaves gracefully and one is killed with SIGKILL. Every node in its own process, on a private
// nats-server and PostgreSQL. The keys are journaled (every update an event), so each key's journal read back from
// the store shows every update applied: checked against the callers' acknowledgements (pool-ledger.ts), and audited
// for two activations at once from the activation markers' fencing (auditActivations).
// Light by design: each key is touched a few times, plus a hot subset; phases wait on events (keys acknowledged,
// moves reported, an exit observed), each with a generous timeout so a busy machine passes.

const LEASE = 2000
const POOL = 'accounts'
const KEYS = 10_000
/** Callers per node, each one call at a time. */
const CALLERS = 12
/** The first HOT keys are hot: every HOT_EVERY-th call of every caller goes to one of them. */
const HOT = 100
const HOT_EVERY = 4
/** A phase's timeout: far beyond what it takes on a quiet machine (seconds), for one that is busy (placing the keys took 134 s at load 28). */
const PHASE = 300_000

const nodes: NodeProcess[] = []
const servers = clusterServers(nodes)

type Moves = { plans: number; planned: number; movedOut: number; movedIn: number; failed: number }
const env = (node: string) => ({ nats: servers.nats.url, cluster: 'churn', node, lease: LEASE, pg: servers.pg.connection, pools: 'journal' as const })
const moves = (n: NodeProcess) => n.run<Moves>('poolMoves', { pool: POOL })
const keysOn = (n: NodeProcess) => n.run<string[]>('poolKeys', { pool: POOL })

/** Starts `node`'s callers (its shard of the keys: see WorkloadPlan), their acknowledgements reported as `{ acks }` messages. */
async function work(node: NodeProcess, shard: number, shards: number): Promise<void> {
  const plan: WorkloadPlan = { node: node.id, callers: CALLERS, keys: KEYS, shard, shards, hot: HOT, hotEvery: HOT_EVERY, timeout: 30_000 }
  await node.run('workload', { pool: POOL, plan })
}

describe('a cluster pool under churn', () => {
  it('10,000 durable keys, callers on every node, a node joins, one leaves, one is killed: every acknowledged update once, in order, one activation at a time', async () => {
    const report = (line: string) => {
      if (process.env.KS_REPORT) console.info(`pool churn: ${line}`)
    }
    const phase = (() => {
      let last = Date.now()
      return (what: string) => {
        const now = Date.now()
        report(`${what} in ${((now - last) / 1000).toFixed(1)} s`)
        last = now
      }
    })()
    const ledger = new Ledger()
    const listen = (n: NodeProcess) =>
      n.onMessage((message) => {
        if (message.acks) ledger.record(n.id, message.acks as Ack[])
      })

    // a, b and c; callers on each, their shards covering every key once a round.
    const [a, b, c] = (await startNodeProcesses(['a', 'b', 'c'].map(env))) as [NodeProcess, NodeProcess, NodeProcess]
    nodes.push(a, b, c)
    for (const n of [a, b, c]) listen(n)
    phase('three nodes up')
    await Promise.all([a, b, c].map((n, i) => work(n, i, 3)))
    await until(() => ledger.keysAcknowledged() === KEYS, PHASE, `an acknowledged update to each of the ${KEYS} keys`)
    phase(`all ${KEYS} keys placed and updated (${ledger.total()} acknowledged)`)

    // d joins, with callers of its own over every key: keys move to it.
    const before = await Promise.all([a, b, c].map(moves))
    const d = await startNodeProcess(env('d'))
    nodes.push(d)
    listen(d)
    await work(d, 0, 1)
    await until(
      async () => {
        const now = await Promise.all([a, b, c].map(moves))
        return now.every((m, i) => m.plans > before[i]!.plans && m.movedOut + m.failed >= m.planned) && (await moves(d)).movedIn > 0
      },
      PHASE,
      "the join's moves to d done"
    )
    const joined = await Promise.all([a, b, c, d].map(moves))
    phase(`d joined: ${joined[3]!.movedIn} keys moved to it (${joined.slice(0, 3).reduce((n, m) => n + m.failed, 0)} moves failed)`)

    // c leaves gracefully: its callers stop first (settled), then it hands its keys over and exits.
    const outcomes: Record<string, WorkloadOutcome> = {}
    outcomes.c = await c.run<WorkloadOutcome>('stopWorkload')
    const held = (await keysOn(c)).length
    const movedIn = (ms: readonly Moves[]) => ms.reduce((n, m) => n + m.movedIn, 0)
    const inBefore = movedIn(await Promise.all([a, b, d].map(moves)))
    await c.stop()
    expect(await c.exited).toEqual({ code: 0, signal: null })
    const handed = movedIn(await Promise.all([a, b, d].map(moves))) - inBefore
    phase(`c left: ${handed} of its ${held} keys handed over (the rest come back from the store on their next message)`)

    // No call failed while d joined and c left (c's keys' calls were held and sent on to their new nodes).
    for (const n of [a, b, d]) expect(await n.run('workloadErrors'), `${n.id}'s calls failed before the kill`).toEqual({})
    expect(outcomes.c.errors).toEqual({})

    // b is killed; its keys come back on a and d on their next message.
    const onB = new Set((await keysOn(b)).map((key) => Number(key.slice('key-'.length))))
    await b.kill()
    expect(await b.exited).toEqual({ code: null, signal: 'SIGKILL' })
    // Acknowledgements recorded from now on were made after the kill (a node reports them within 100 ms).
    const since = Date.now() + 200
    const hotOnB = [...onB].filter((key) => key < HOT)
    await until(
      () => hotOnB.every((key) => ledger.ackedSince(key, since)) && [...onB].filter((key) => ledger.ackedSince(key, since)).length >= onB.size / 10,
      PHASE,
      `b's ${hotOnB.length} hot keys and a tenth of its ${onB.size} keys acknowledged again after the kill`
    )
    phase(`b killed: its hot keys and ${[...onB].filter((key) => ledger.ackedSince(key, since)).length} of its ${onB.size} keys answering again`)

    // The callers stop, every call settled, every acknowledgement reported; no key active on two nodes.
    outcomes.a = await a.run<WorkloadOutcome>('stopWorkload')
    outcomes.d = await d.run<WorkloadOutcome>('stopWorkload')
    for (const [node, outcome] of Object.entries(outcomes)) {
      report(`${node}'s calls failed, by class: ${JSON.stringify(outcome.errors)}`)
      // Only calls in flight to b when it died (failed once its heartbeat lapsed), or waiting on it past their timeout.
      for (const name of Object.keys(outcome.errors)) expect(['OutcomeUnknownError', 'CallTimeoutError'], `${node}: ${JSON.stringify(outcome.errors)}`).toContain(name)
      outcome.callers.forEach((counts, i) => {
        expect(counts.sent, `${node}.${i}: every call acknowledged or failed`).toBe(counts.acked + counts.failed)
        expect(ledger.ofCaller(node, i), `${node}.${i}: every acknowledgement reported`).toBe(counts.acked)
      })
    }
    const [onA, onD] = await Promise.all([a, d].map(keysOn))
    expect(onA!.filter((key) => onD!.includes(key))).toEqual([])
    await Promise.all([a, d].map((n) => n.stop()))
    for (const n of [a, d]) expect(await n.exited).toEqual({ code: 0, signal: null })
    phase(`callers stopped, a and d stopped (${ledger.total()} acknowledged in all)`)

    // Every key's journal, read back from the store once: checked against the ledger, and audited. The audit reads
    // a copy of the journals in a MemoryStore (every event as stored, with its seq and tags): one read of each, not two.
    const store = await PostgresStore.open({ config: servers.pg.connection, schema: 'cluster' })
    const copy = new MemoryStore()
    const journals = new Map<number, string[]>()
    try {
      for (let from = 0; from < KEYS; from += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, KEYS - from) }, async (_, i) => {
            const key = from + i
            const events = await store.read(`${POOL}/key-${key}`)
            journals.set(key, events.filter((e) => e.type === 'add').map((e) => (e.payload as { id: string }).id))
            await copy.append(`${POOL}/key-${key}`, events.map(({ type, payload, version, tags, at }) => ({ type, payload, version, tags, at })), 0)
          })
        )
      }
    } finally {
      await store.close()
    }
    const problems: string[] = []
    let activations = 0
    for (let key = 0; key < KEYS; key++) {
      const audit = await auditActivations(copy, POOL, `key-${key}`)
      problems.push(...audit.problems.map((p) => `key-${key}: ${p}`))
      activations += audit.activations.length
    }
    const check = ledger.check(journals, KEYS)
    phase(`journals read back and audited: ${check.found} acknowledged updates found, ${check.unacknowledged} applied unacknowledged, ${activations} activations`)
    expect(check.problems.slice(0, 20)).toEqual([])
    expect(check.found).toBe(ledger.total())
    expect(problems.slice(0, 20)).toEqual([])
    // Every key was activated, and the moves and failovers activated many again.
    expect(activations).toBeGreaterThan(KEYS)
  }, 900_000)
})
