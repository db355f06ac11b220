/**
 * One cluster node in a child process, driven by its parent over IPC
 * (see nodes.ts). Its config comes in the environment: KS_NATS, KS_CLUSTER,
 * KS_NODE, KS_LEASE, KS_MAXBYTES, KS_PG (a PostgreSQL connection, JSON) for the
 * durable kind, KS_AUTH (the `auth` option, JSON), KS_TLS_CA (a CA file to trust) and KS_KEY
 * (the `clusterKey` option, JSON). KS_VERSION (1 or 2) adds the upgrade test's kinds at that
 * version of their logic; KS_KINDS=none starts a node with no kinds (a client of the cluster);
 * KS_POOLS=1 adds the cluster pool `accounts` (durable with KS_PG, never passivated);
 * KS_POOLS=journal makes it durable in journal mode; KS_FAILOVER (`lazy`, `eager`, or `{ mode, batch }` as JSON) is its `failover`;
 * KS_LOCAL_FIRST=1 gives it the `localFirst()` strategy and no rebalancing (a key stays where its caller is).
 */
import { assign, raise, setup, type EventObject } from 'xstate'
import { call, callAll, cast, deferReply, migrations, reply, send, startBranch, table, type Replies } from '../../src/index'
import { localFirst, startNode, type ClusterKeyOptions, type ClusterNode, type NodeAuth, type NodeKind } from '../../src/cluster'
import { PostgresStore } from '../../src/postgres'
import { startWorkload, type Workload, type WorkloadPlan } from './pool-workload'

type Command = { id: number; op: string; args: Record<string, unknown> }

/** Replies JSON can't carry as they are: refused with WireValueError, never sent changed. */
const oddities = {
  nan: { total: Number.NaN },
  bigint: { total: 10n },
  date: { at: new Date(0) },
  function: { format: () => 'text' },
  huge: { text: 'x'.repeat(1_200_000) }
}

/**
 * A journal of ids in arrival order; `get` replies it, `hang` never replies,
 * `crash` throws. `note` writes plain data to the branch's `notes` table,
 * `noteHandle` a live object (a function), `notes` replies the table. `echo`
 * replies its value; `odd` replies one of {@link oddities}, which JSON can't carry as they are,
 * and `keepOdd` keeps one in the state; `count` replies the count alone.
 */
const journal = setup({
  types: { context: {} as { ids: string[]; count: number; odd?: unknown }, events: {} as
      | { type: 'add'; id: string }
      | { type: 'inc'; by?: number }
      | { type: 'get' }
      | { type: 'hang' }
      | { type: 'crash' }
      | { type: 'note'; key: string; value: unknown }
      | { type: 'noteHandle' }
      | ({ type: 'notes' } & Replies<Record<string, unknown>>)
      | ({ type: 'echo'; value: unknown } & Replies<unknown>)
      | ({ type: 'odd'; what: keyof typeof oddities } & Replies<(typeof oddities)[keyof typeof oddities]>)
      | ({ type: 'keepOdd'; what: keyof typeof oddities } & Replies<'kept'>)
      | ({ type: 'count' } & Replies<number>)
  }
}).createMachine({
  context: { ids: [], count: 0 },
  on: {
    add: { actions: assign({ ids: ({ context, event }) => [...context.ids, event.id] }) },
    inc: { actions: assign({ count: ({ context, event }) => context.count + (event.by ?? 1) }) },
    get: { actions: reply(({ context }) => context) },
    count: { actions: reply(({ context }) => context.count) },
    note: { actions: ({ self, event }) => void table(self, 'notes').set(event.key, event.value) },
    noteHandle: { actions: ({ self }) => void table(self, 'notes').set('handle', () => 'a device') },
    echo: { actions: reply(({ event }) => event.value) },
    odd: { actions: reply(({ event }) => oddities[event.what]) },
    keepOdd: { actions: [assign({ odd: ({ event }) => oddities[event.what] }), reply(() => 'kept')] },
    notes: { actions: reply(({ self }) => Object.fromEntries([...table<string, unknown>(self, 'notes')].map(([k, v]) => [k, typeof v === 'function' ? 'a function' : v]))) },
    hang: { actions: () => void deferReply() },
    crash: {
      actions: () => {
        throw new Error('crashed on purpose')
      }
    }
  }
})

/** What `get` answers, in both versions of the upgrade test's logic. */
type Ledger = { ids: string[]; version: number }

/** Version 1 of the upgrade test's logic: the ids added, in order. */
const ledgerV1 = setup({
  types: { context: {} as { ids: string[] }, events: {} as { type: 'add'; id: string } | { type: 'later'; id: string } | ({ type: 'get' } & Replies<Ledger>) }
}).createMachine({
  context: { ids: [] },
  on: {
    add: { actions: assign({ ids: ({ context, event }) => [...context.ids, event.id] }) },
    // An add in ten minutes: a pending delayed event of version 1 (the upgrade test never lets it fire).
    later: { actions: raise(({ event }) => ({ type: 'add' as const, id: event.id }), { delay: 600_000 }) },
    get: { actions: reply(({ context }) => ({ ids: context.ids, version: 1 })) }
  }
})

/** Version 2: the same ids under another name, beside their count (a v1 state can't run here unmigrated). */
const ledgerV2 = setup({
  types: { context: {} as { added: string[]; total: number }, events: {} as { type: 'add'; id: string } | ({ type: 'get' } & Replies<Ledger>) }
}).createMachine({
  context: { added: [], total: 0 },
  on: {
    add: { actions: assign({ added: ({ context, event }) => [...context.added, event.id], total: ({ context }) => context.total + 1 }) },
    get: { actions: reply(({ context }) => ({ ids: context.added, version: 2 })) }
  }
})

type LedgerV2 = { context: { added: string[]; total: number } }
const toV2 = migrations<{ context: { ids: string[] } }>().step(2, (s) => ({ ...s, context: { added: s.context.ids, total: s.context.ids.length } }))
const versioned = (version: number) =>
  version === 1
    ? { logic: ledgerV1 }
    : { logic: ledgerV2, versioning: { version: 2, migrations: toV2, validate: (s: LedgerV2) => (s.context.total === s.context.added.length && !s.context.added.includes('poison')) || 'a ledger holding "poison" is refused' } }

const warnings: { details: Record<string, unknown>; message: string }[] = []
/** Waiting for a warning whose reason (or, in a summary, one of whose reasons) matches. */
const warningWaiters: { pattern: RegExp; resolve: (details: Record<string, unknown>) => void }[] = []

function reasonsOf(details: Record<string, unknown>): string[] {
  return [String(details.reason ?? ''), ...Object.keys((details.reasons as object | undefined) ?? {})]
}

function warn(details: Record<string, unknown>, message: string): void {
  warnings.push({ details, message })
  for (const waiter of [...warningWaiters]) {
    if (!reasonsOf(details).some((reason) => waiter.pattern.test(reason))) continue
    warningWaiters.splice(warningWaiters.indexOf(waiter), 1)
    waiter.resolve(details)
  }
}

async function main(): Promise<void> {
  const kinds: Record<string, NodeKind> = { journal: { logic: journal } }
  let store: PostgresStore | undefined
  if (process.env.KS_PG) {
    store = await PostgresStore.open({ config: JSON.parse(process.env.KS_PG), schema: 'cluster' })
    kinds.account = { logic: journal, durable: { store } }
  }
  if (process.env.KS_VERSION) {
    const { logic, versioning } = versioned(Number(process.env.KS_VERSION))
    kinds.tally = { logic, ...versioning }
    if (store) kinds.ledger = { logic, durable: { store, ...versioning } }
  }
  if (process.env.KS_KINDS === 'none') for (const kind of Object.keys(kinds)) delete kinds[kind]
  const mode = process.env.KS_POOLS === 'journal' ? ({ mode: 'journal' } as const) : {}
  const failover = process.env.KS_FAILOVER?.startsWith('{') ? (JSON.parse(process.env.KS_FAILOVER) as { mode: 'eager'; batch: number }) : (process.env.KS_FAILOVER as 'lazy' | 'eager' | undefined)
  const local = process.env.KS_LOCAL_FIRST ? { strategy: localFirst(), rebalance: false as const } : {}
  const pools = process.env.KS_POOLS ? { accounts: { logic: journal, ...(store ? { durable: { store, ...mode } } : {}), idleTimeout: Infinity, ...(failover ? { failover } : {}), ...local } } : undefined
  const node: ClusterNode = await startNode({
    servers: process.env.KS_NATS as string,
    cluster: process.env.KS_CLUSTER as string,
    nodeId: process.env.KS_NODE as string,
    leaseTtl: Number(process.env.KS_LEASE ?? 2000),
    ...(process.env.KS_MAXBYTES ? { maxMessageBytes: Number(process.env.KS_MAXBYTES) } : {}),
    ...(process.env.KS_AUTH ? { auth: JSON.parse(process.env.KS_AUTH) as NodeAuth } : {}),
    ...(process.env.KS_TLS_CA ? { tls: { caFile: process.env.KS_TLS_CA } } : {}),
    ...(process.env.KS_KEY ? { clusterKey: JSON.parse(process.env.KS_KEY) as ClusterKeyOptions } : {}),
    kinds,
    ...(pools ? { pools } : {}),
    logger: { warn }
  })
  const ops: Record<string, (a: Record<string, unknown>) => unknown> = {
    start: async (a) => {
      const branch = await node.startBranch({ kind: a.kind as string, name: a.name as string })
      branch.on('stop', () => void (stoppedAt[a.name as string] = Date.now()))
      return branch.id
    },
    /** When (this process's Date.now()) each branch started by `start` stopped. */
    stoppedAt: () => stoppedAt,
    startAll: (a) => Promise.all((a.names as string[]).map((name) => node.startBranch({ kind: a.kind as string, name }))).then(() => null),
    /** A branch of this process only, outside the cluster. */
    startLocal: async (a) => (await startBranch({ logic: journal, name: a.name as string })).id,
    startMany: (a) => Promise.allSettled(Array.from({ length: a.count as number }, () => node.startBranch({ kind: a.kind as string, name: a.name as string }))).then((results) => results.map((r) => (r.status === 'fulfilled' ? 'won' : errorOf(r.reason).name))),
    call: (a) => call(a.name as string, a.event as EventObject, a.options as object),
    callAll: (a) => callAll(a.name as string, a.events as EventObject[]),
    cast: (a) => cast(a.name as string, a.event as EventObject),
    send: (a) => send(a.name as string, a.event as EventObject),
    /** Casts `count` adds tagged `tag`, yielding to the event loop every few so that they overlap whatever else runs. */
    castStream: async (a) => {
      for (let i = 0; i < (a.count as number); i++) {
        cast(a.name as string, { type: 'add', id: `${a.tag}:${i}` })
        if (i % 5 === 4) await new Promise((r) => setTimeout(r, 1))
      }
    },
    /** Calls `inc` on each name every `every` ms until told to stop; the acknowledged increments, by name. */
    callLoop: (a) => {
      acked = {}
      looping = true
      void (async () => {
        while (looping) {
          await Promise.all(
            (a.names as string[]).map((name) =>
              call(name, { type: 'inc' }, { timeout: 1000 }).then(
                () => void (acked[name] = (acked[name] ?? 0) + 1),
                () => undefined
              )
            )
          )
          await new Promise((r) => setTimeout(r, a.every as number))
        }
      })()
    },
    acked: () => acked,
    /**
     * Calls `add` on each name (a key of the cluster pool `pool`, if given), one
     * at a time per name, each with an id of its own (`name#i`), never retried,
     * until `stopAdds`; records the ids acknowledged.
     */
    addLoop: (a) => {
      adds = { acked: {}, sent: {}, errors: {} }
      adding = true
      const record = adds
      const loop = async (name: string) => {
        for (let i = 0; adding; i++) {
          const id = `${name}#${i}`
          record.sent[name] = i + 1
          try {
            if (a.pool) await node.pool(a.pool as string).call(name, { type: 'add', id }, { timeout: 3000 })
            else await call(name, { type: 'add', id }, { timeout: 3000 })
            ;(record.acked[name] ??= []).push(id)
          } catch (error) {
            const kind = errorOf(error).name as string
            record.errors[kind] = (record.errors[kind] ?? 0) + 1
            // Paced only while it fails (its node is gone): a failed call returns at once.
            await new Promise((r) => setTimeout(r, a.every as number))
          }
        }
      }
      addLoops = Promise.all((a.names as string[]).map(loop)).then(() => undefined)
    },
    adds: () => adds,
    /** Stops the `addLoop`, once every call in flight has settled: what was acknowledged, sent, and the errors by class. */
    stopAdds: async () => {
      adding = false
      await addLoops
      return adds
    },
    stopLoop: () => {
      looping = false
      return acked
    },
    transfer: (a) => node.transfer(a.name as string, a.to as string),
    /** A call to a key of the cluster pool `pool`. */
    poolCall: (a) => node.pool(a.pool as string).call(a.key as string, a.event as EventObject, a.options as object),
    /** A cast to a key of the cluster pool `pool`. */
    poolCast: (a) => void node.pool(a.pool as string).cast(a.key as string, a.event as EventObject),
    /** Starts pool-workload.ts's callers on the cluster pool `pool`; their acknowledgements come as `{ acks }` messages. */
    workload: (a) => {
      workload = startWorkload(node.pool(a.pool as string), a.plan as WorkloadPlan, (acks) => process.send?.({ acks }))
    },
    /** Stops the workload once every caller's call in flight has settled: each caller's counts. */
    stopWorkload: () => workload?.stop(),
    /** The workload's failed calls so far, by class. */
    workloadErrors: () => workload?.errors(),
    /** This node's load in the cluster pool `pool` (its keys, calls in flight). */
    poolLoad: (a) => node.pool(a.pool as string).load(),
    /** The keys of the cluster pool `pool` active on this node. */
    poolKeys: (a) => node.pool(a.pool as string).keys().sort(),
    /** What rebalancing did on this node in the cluster pool `pool` (its `moves()`). */
    poolMoves: (a) => node.pool(a.pool as string).moves(),
    /** What eager failover did on this node in the cluster pool `pool` (its `failovers()`). */
    poolFailovers: (a) => node.pool(a.pool as string).failovers(),
    owner: (a) => node.owner(a.name as string) ?? null,
    held: () => node.held().sort(),
    nodes: () => node.nodes(),
    warnings: () => warnings,
    /** Resolves with the first warning, logged already or to come, whose reason matches `pattern` (a RegExp source). */
    warning: (a) => {
      const pattern = new RegExp(a.pattern as string)
      const found = warnings.find((w) => reasonsOf(w.details).some((reason) => pattern.test(reason)))
      return found ? found.details : new Promise((resolve) => warningWaiters.push({ pattern, resolve }))
    },
    /** Whether anything reached Object.prototype. */
    polluted: () => Object.keys(Object.prototype).length > 0 || ({} as Record<string, unknown>).polluted !== undefined,
    stop: async () => {
      await node.stop()
      await store?.close()
      setImmediate(() => process.exit(0))
    }
  }
  const stoppedAt: Record<string, number> = {}
  let acked: Record<string, number> = {}
  let adds: { acked: Record<string, string[]>; sent: Record<string, number>; errors: Record<string, number> } = { acked: {}, sent: {}, errors: {} }
  let adding = false
  let addLoops: Promise<void> = Promise.resolve()
  let looping = false
  let workload: Workload | undefined
  process.on('message', (command: Command) => {
    const op = ops[command.op]
    Promise.resolve()
      .then(() => (op ? op(command.args) : Promise.reject(new Error(`no op ${command.op}`))))
      .then(
        (value) => process.send?.({ id: command.id, ok: true, value: value ?? null }),
        (error: unknown) => process.send?.({ id: command.id, ok: false, error: errorOf(error) })
      )
  })
  process.send?.({ ready: node.id })
}

function errorOf(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  return { ...(error as unknown as Record<string, unknown>), name: error.name, message: error.message, instanceOf: error.constructor.name }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
