/**
 * Chaos under load: branches under a three-level tree, concurrent clients
 * sending calls and casts that each carry a unique sequence number, and an
 * injector that kills workers, stops branches (their supervisor restarts them
 * with their state) and transfers branches between two pools. Some messages
 * are hostile (issue 15): a value in them the ledger would keep throws when
 * read (a getter, a Proxy trap, 100,000 levels down), or the callAll list or
 * dedupe key is a Proxy or has a throwing getter; each must fail alone, with
 * a typed error, and nothing of it be kept. Half the
 * branches are durable (journal or snapshot mode, sync or batched): a stopped
 * one comes back from its store. At the end each branch's state must hold
 * exactly what was sent to it, once, in order, and each durable branch's
 * store must give that same state back.
 *
 * As a program: `npm run chaos -- --ops 1000000 --seed 7` prints a JSON report
 * and exits non-zero on any violation. It never calls process.exit: a timer or
 * listener left behind would keep it alive, which the test checks.
 */
import { pathToFileURL } from 'node:url'
import { fromTransition } from 'xstate'
import {
  BranchStoppedError,
  branchSpec,
  call,
  callAll,
  cast,
  InvalidOptionError,
  MemoryStore,
  startBranch,
  startSupervisor,
  supervisorSpec,
  transfer,
  UnknownNameError,
  UnkeepableStateError,
  whereis,
  WorkerCrashedError,
  KeepsakeError,
  type Supervisor
} from '../../src/index'
import { pick, prng } from '../support/prng'

/** What a branch knows of one client: the last sequence number, a count, and an order-sensitive hash. */
interface Trace {
  readonly last: number
  readonly count: number
  readonly hash: number
}

interface LedgerState {
  readonly clients: Readonly<Record<number, Trace>>
  /** Messages that arrived out of order or twice. */
  readonly disorder: number
  /** What a hostile message carried, had its state been kept (it never may be). */
  readonly note?: unknown
}

type LedgerEvent = { type: 'apply'; client: number; seq: number; poison: boolean; hostile?: unknown } | { type: 'get' }

const NO_TRACE: Trace = { last: -1, count: 0, hash: 0 }
const mix = (hash: number, seq: number): number => (Math.imul(hash, 31) + seq) >>> 0

const ledger = fromTransition(
  (state: LedgerState, e: LedgerEvent): LedgerState => {
    if (e.type !== 'apply') return state
    if (e.poison) throw new Error(`poisoned message ${e.client}/${e.seq}`)
    const t = state.clients[e.client] ?? NO_TRACE
    const next = {
      clients: { ...state.clients, [e.client]: { last: e.seq, count: t.count + 1, hash: mix(t.hash, e.seq) } },
      disorder: state.disorder + (e.seq > t.last ? 0 : 1)
    }
    // Keeps what a hostile message carries: the keeper must refuse that state.
    return e.hostile === undefined ? next : { ...next, note: e.hostile }
  },
  { clients: {}, disorder: 0 } as LedgerState
)

/** A value 100,000 levels deep whose bottom throws when read: the keeper's freeze walks all of it (without recursion) to find that. */
const deepTrap: unknown[] = []
{
  let node = deepTrap
  for (let i = 1; i < 100_000; i++) node = (node[0] = []) as unknown[]
  Object.defineProperty(node, 0, { enumerable: true, get: () => { throw new Error('hostile getter, 100,000 levels down') } })
}
const throwingGetter = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('hostile getter') } })
const throwingTrap = new Proxy({}, { ownKeys: () => { throw new Error('hostile ownKeys') } })
/** Values that make a state unkeepable: the call that carries one fails with UnkeepableStateError as cause. */
const UNKEEPABLE = [throwingGetter, throwingTrap, deepTrap, [1, { deeper: throwingTrap }]]
/** callAll lists that can't be read: refused at once with InvalidOptionError. */
const unreadableList = (message: LedgerEvent) =>
  new Proxy([message], { get: (_, key) => { if (key === 'length') return 1; throw new Error('hostile list') } })

export interface ChaosOptions {
  readonly ops: number
  readonly seed: number
  readonly branches?: number
  readonly clients?: number
}

export interface ChaosReport {
  readonly seed: number
  readonly ops: number
  readonly calls: number
  readonly casts: number
  readonly poisoned: number
  /** Hostile messages sent (unkeepable values, unreadable callAll lists and dedupe keys). */
  readonly hostile: number
  readonly kills: number
  readonly stops: number
  readonly transfers: number
  readonly refused: number
  readonly violations: readonly string[]
}

/** Runs one chaos session and reports what it did and every invariant it saw broken. */
export async function runChaos({ ops, seed, branches = 50, clients = 8 }: ChaosOptions): Promise<ChaosReport> {
  const random = prng(seed)
  const names = Array.from({ length: branches }, (_, i) => `chaos-${seed}-${i}`)
  const store = new MemoryStore()
  /** Every other branch is durable, cycling through the modes and durabilities. */
  const durableOf = (i: number) =>
    i % 2 === 0
      ? undefined
      : { store, mode: i % 4 === 1 ? ('journal' as const) : ('snapshot' as const), durability: i % 3 === 0 ? ('sync' as const) : ('batched' as const), snapshotEvery: 50 }
  const pool = (id: string, members: number[]) =>
    supervisorSpec({
      supervisor: {
        id,
        maxRestarts: 1_000_000,
        maxSeconds: 1,
        children: members.map((i) =>
          branchSpec({
            branch: { logic: ledger, name: names[i] as string, intensity: { maxRestarts: 1_000_000, maxSeconds: 1 }, durable: durableOf(i) },
            keepState: true
          })
        )
      }
    })
  const root = await startSupervisor({
    id: `chaos-root-${seed}`,
    children: [pool('pool-a', names.map((_, i) => i).filter((i) => i % 3 !== 2)), pool('pool-b', names.map((_, i) => i).filter((i) => i % 3 === 2))]
  })
  const pools = root.whichChildren().map((c) => c.child as Supervisor)

  // What each client expects each branch to hold: the non-poisoned messages it sent there, in order.
  const expected = new Map<string, Trace>()
  const violations: string[] = []
  const counts = { calls: 0, casts: 0, poisoned: 0, hostile: 0, kills: 0, stops: 0, transfers: 0, refused: 0 }
  const expect = (name: string, client: number, seq: number) => {
    const key = `${name}/${client}`
    const t = expected.get(key) ?? NO_TRACE
    expected.set(key, { last: seq, count: t.count + 1, hash: mix(t.hash, seq) })
  }
  const notDelivered = (error: unknown) => error instanceof UnknownNameError || error instanceof BranchStoppedError

  /** A hostile message: it must fail alone, typed, and nothing of it may be kept (it is never expected). */
  const sendHostile = async (client: number, seq: number, name: string) => {
    const kind = pick(random, 4)
    const carrying = { type: 'apply', client, seq, poison: false, hostile: UNKEEPABLE[pick(random, UNKEEPABLE.length)] } as const
    const plain = { type: 'apply', client, seq, poison: false } as const
    try {
      if (kind === 0) {
        counts.calls++
        await call(name, carrying)
        violations.push(`hostile call ${client}/${seq} was answered`)
      } else if (kind === 1) {
        counts.casts++
        cast(name, carrying) // its crash reaches no one; the ledger shows it was not kept
      } else if (kind === 2) {
        counts.calls++
        await callAll(name, unreadableList(plain))
        violations.push(`callAll of an unreadable list ${client}/${seq} was answered`)
      } else {
        counts.calls++
        await call(name, { ...plain, key: throwingGetter }, { dedupe: true })
        violations.push(`dedupe call with an unreadable key ${client}/${seq} was answered`)
      }
    } catch (error) {
      if (notDelivered(error)) return
      const expected = kind === 0 ? error instanceof WorkerCrashedError && error.cause instanceof UnkeepableStateError : error instanceof InvalidOptionError
      if (!expected) violations.push(`hostile message ${client}/${seq} (kind ${kind}) to ${name} failed with ${String(error)}`)
    }
  }

  let running = clients
  const clientLoop = async (client: number) => {
    for (let seq = 0; seq < Math.ceil(ops / clients); seq++) {
      const name = names[pick(random, branches)] as string
      const poison = random() < 0.02
      const message = { type: 'apply', client, seq, poison } as const
      if (poison) counts.poisoned++
      if (!poison && random() < 0.01) {
        counts.hostile++
        await sendHostile(client, seq, name)
        continue
      }
      if (random() < 0.5) {
        counts.calls++
        try {
          const reply = (await call(name, message)) as LedgerState
          if (poison) violations.push(`poisoned call ${client}/${seq} was answered`)
          else if (reply.clients[client]?.last !== seq) violations.push(`call ${client}/${seq} answered without its update`)
          if (!poison) expect(name, client, seq)
        } catch (error) {
          if (poison && error instanceof WorkerCrashedError) continue
          if (notDelivered(error)) continue
          violations.push(`call ${client}/${seq} to ${name} failed: ${String(error)}`)
        }
      } else {
        counts.casts++
        try {
          cast(name, message)
          if (!poison) expect(name, client, seq)
        } catch (error) {
          if (!notDelivered(error)) violations.push(`cast ${client}/${seq} to ${name} threw: ${String(error)}`)
        }
        if (seq % 4 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    }
    running--
  }

  const injector = async () => {
    while (running > 0) {
      const name = names[pick(random, branches)] as string
      const branch = whereis(name)
      const roll = random()
      try {
        if (!branch) counts.refused++
        else if (roll < 0.6) {
          branch.kill(new Error('injected fault'))
          counts.kills++
        } else if (roll < 0.7) {
          await branch.stop({ timeout: 0 }) // its pool restarts it, with its state (keepState)
          counts.stops++
        } else {
          const from = pools.find((p) => p.whichChildren().some((c) => c.child === branch))
          const to = pools.find((p) => p !== from)
          if (from && to) {
            await transfer(branch, from, to)
            counts.transfers++
          } else counts.refused++
        }
      } catch (error) {
        if (error instanceof KeepsakeError) counts.refused++
        else violations.push(`injector: ${String(error)}`)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  await Promise.all([...Array.from({ length: clients }, (_, c) => clientLoop(c)), injector()])
  await Promise.all(pools.map((p) => p.whenIdle()))

  const finals = new Map<string, LedgerState>()
  for (const name of names) {
    const state = (await call(name, { type: 'get' })) as LedgerState
    finals.set(name, state)
    if (state.disorder > 0) violations.push(`${name}: ${state.disorder} messages out of order or twice`)
    if ('note' in state) violations.push(`${name}: the state of a hostile message was kept`)
    for (let client = 0; client < clients; client++) {
      const want = expected.get(`${name}/${client}`) ?? NO_TRACE
      const got = state.clients[client] ?? NO_TRACE
      if (want.count !== got.count || want.hash !== got.hash) {
        violations.push(`${name}, client ${client}: expected ${want.count} updates (hash ${want.hash}), found ${got.count} (hash ${got.hash})`)
      }
    }
  }
  await root.stop()
  // What each durable branch's store gives back must be what it held.
  for (const [i, name] of names.entries()) {
    const durable = durableOf(i)
    if (!durable) continue
    const check = await startBranch({ logic: ledger, name: `${name}-check`, durable: { ...durable, id: name } })
    if (JSON.stringify(check.state()) !== JSON.stringify(finals.get(name))) violations.push(`${name}: its store gives back another state than it held`)
    await check.stop()
  }
  return { seed, ops, ...counts, violations }
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`)
  return value
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runChaos({ ops: argument('ops', 100_000), seed: argument('seed', 1) })
  console.log(JSON.stringify(report))
  if (report.violations.length > 0) process.exitCode = 1
}
