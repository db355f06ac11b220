import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { startNats, type NatsServer } from '../support/nats'
import { startPostgres, type PostgresServer } from '../support/postgres'

/** An error as it came back from a node process: its class name and own fields. */
export interface RemoteFailure {
  readonly name: string
  readonly message: string
  readonly code?: string
  readonly instanceOf?: string
  readonly [field: string]: unknown
}

/** A cluster node running in a child process (node-process.ts), driven over IPC. */
export interface NodeProcess {
  readonly id: string
  readonly pid: number
  /** Runs one of node-process.ts's ops; rejects with the node's error as a RemoteFailure. */
  run<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>
  /** The op's error, or throws if it succeeded. */
  failure(op: string, args?: Record<string, unknown>): Promise<RemoteFailure>
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>
  /** Leaves the cluster and exits. */
  stop(): Promise<void>
  /** Calls `listener` with each message the node sends of its own accord (not an op's answer). */
  onMessage(listener: (message: Record<string, unknown>) => void): void
  /** Resolves once the process has exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const script = fileURLToPath(new URL('./node-process.ts', import.meta.url))

/** Starts a node process; resolves once it has joined the cluster. */
/** Where a node process joins, and how. */
export interface NodeEnv {
  nats: string
  cluster: string
  node: string
  lease?: number
  pg?: object
  maxBytes?: number
  /** The node's `auth` option. */
  auth?: object
  /** A CA file the node trusts for TLS. */
  tlsCa?: string
  /** The node's `clusterKey` option, in PEM. */
  clusterKey?: { privateKey: string; trusted?: string[] }
  /** Adds the upgrade test's kinds (`ledger`, durable with `pg`, and `tally`) at this version of their logic. */
  version?: 1 | 2
  /** 'none': a node with no kinds, only a client of the cluster. */
  kinds?: 'none'
  /** Adds the cluster pool `accounts` (the journal logic, durable with `pg`, never passivated); 'journal': durable in journal mode. */
  pools?: boolean | 'journal'
  /** The pool's `failover` (KS_FAILOVER). */
  failover?: 'lazy' | 'eager' | { mode: 'eager'; batch: number }
  /** The pool places a key on its caller's node (`localFirst()`) and does not rebalance (KS_LOCAL_FIRST). */
  localFirst?: boolean
}

/**
 * Starts several node processes at once; if one fails to join, the others are
 * stopped before the error is thrown, so a failed start leaves no process
 * behind to hold the test run open.
 */
export async function startNodeProcesses(envs: readonly NodeEnv[]): Promise<NodeProcess[]> {
  const started = await Promise.allSettled(envs.map((env) => startNodeProcess(env)))
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (!failed) return started.map((r) => (r as PromiseFulfilledResult<NodeProcess>).value)
  await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)))
  throw failed.reason
}

export async function startNodeProcess(env: NodeEnv): Promise<NodeProcess> {
  const child: ChildProcess = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      KS_NATS: env.nats,
      KS_CLUSTER: env.cluster,
      KS_NODE: env.node,
      KS_LEASE: String(env.lease ?? 2000),
      ...(env.pg ? { KS_PG: JSON.stringify(env.pg) } : {}),
      ...(env.pools ? { KS_POOLS: env.pools === 'journal' ? 'journal' : '1' } : {}),
      ...(env.failover ? { KS_FAILOVER: typeof env.failover === 'string' ? env.failover : JSON.stringify(env.failover) } : {}),
      ...(env.localFirst ? { KS_LOCAL_FIRST: '1' } : {}),
      ...(env.maxBytes ? { KS_MAXBYTES: String(env.maxBytes) } : {}),
      ...(env.auth ? { KS_AUTH: JSON.stringify(env.auth) } : {}),
      ...(env.tlsCa ? { KS_TLS_CA: env.tlsCa } : {}),
      ...(env.clusterKey ? { KS_KEY: JSON.stringify(env.clusterKey) } : {}),
      ...(env.version ? { KS_VERSION: String(env.version) } : {}),
      ...(env.kinds ? { KS_KINDS: env.kinds } : {})
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const listeners: ((message: Record<string, unknown>) => void)[] = []
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  let next = 0
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node ${env.node} exited (${code}) before it joined`)))
    child.on('message', (message: { ready?: string; id?: number; ok?: boolean; value?: unknown; error?: RemoteFailure }) => {
      if (message.ready) return resolve()
      if (message.id === undefined) return listeners.forEach((listener) => listener(message))
      const waiter = pending.get(message.id as number)
      pending.delete(message.id as number)
      if (message.ok) waiter?.resolve(message.value)
      else waiter?.reject(Object.assign(new Error(message.error?.message), { remote: message.error }))
    })
  })
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error(`node ${env.node} exited`))
    pending.clear()
  })
  const run = <T>(op: string, args: Record<string, unknown> = {}): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++next
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ id, op, args })
    })
  return {
    id: env.node,
    pid: child.pid as number,
    run,
    exited,
    onMessage: (listener) => void listeners.push(listener),
    failure: async (op, args) => {
      try {
        await run(op, args)
      } catch (error) {
        const remote = (error as { remote?: RemoteFailure }).remote
        if (remote) return remote
        throw error
      }
      throw new Error(`${op} succeeded; a failure was expected`)
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      await Promise.race([run('stop'), exited]).catch(() => undefined)
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
  }
}

/** Stops node processes, a stalled one (SIGSTOP, left so by a failed test) woken first so it can. */
export async function stopAll(nodes: readonly NodeProcess[]): Promise<void> {
  for (const n of nodes) {
    try {
      process.kill(n.pid, 'SIGCONT')
    } catch {
      // already gone
    }
  }
  await Promise.all(nodes.map((n) => n.stop()))
}

/**
 * Resolves once `check` holds, asking again 50 ms after each answer (a check
 * of node processes is a round trip to each); rejects naming `what` after `ms`.
 */
export async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A test file's own nats-server and PostgreSQL; read them inside its tests (they start in its `beforeAll`). */
export interface ClusterServers {
  readonly nats: NatsServer
  readonly pg: PostgresServer
}

/**
 * Gives the calling test file a nats-server and a PostgreSQL of its own,
 * started before its tests. After them it stops the node processes `left`
 * holds then (a failed test leaves its nodes there), then both servers; a
 * server that started beside one that failed to is stopped too.
 */
export function clusterServers(left: Iterable<NodeProcess>): ClusterServers {
  let nats: PromiseSettledResult<NatsServer> | undefined
  let pg: PromiseSettledResult<PostgresServer> | undefined
  beforeAll(async () => {
    ;[nats, pg] = await Promise.allSettled([startNats(), startPostgres()])
    if (nats.status === 'rejected') throw nats.reason
    if (pg.status === 'rejected') throw pg.reason
  }, 60_000)
  afterAll(async () => {
    await stopAll([...left])
    await Promise.all([nats, pg].map((s) => (s?.status === 'fulfilled' ? s.value.stop() : undefined)))
  }, 60_000)
  return {
    get nats() {
      return startedOf(nats)
    },
    get pg() {
      return startedOf(pg)
    }
  }
}

/** A server `clusterServers` started (read inside a test, after its `beforeAll`). */
function startedOf<T>(server: PromiseSettledResult<T> | undefined): T {
  if (server?.status !== 'fulfilled') throw new Error('clusterServers: a server was read before beforeAll started it, or it failed to start (read the servers inside a test)')
  return server.value
}
