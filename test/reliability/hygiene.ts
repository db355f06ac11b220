/**
 * Resource hygiene, run in its own process with --expose-gc: 10,000 branch
 * start/stop cycles, 10,000 crashes and 100,000 journaled events must leave the
 * heap where it was (no listener, timer or registry entry kept per branch, no
 * event kept by a journal without snapshots). Prints a JSON report.
 */
import { fromPromise, fromTransition, setup, assign } from 'xstate'
import { branchSpec, call, cast, deferReply, MemoryStore, startBranch, startSupervisor, type KeeperStore, type ReplyToken } from '../../src/index'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

function heap(): number {
  for (let i = 0; i < 3; i++) gc?.()
  return process.memoryUsage().heapUsed
}

const counter = fromTransition((n: number, e: { type: 'inc' } | { type: 'crash' } | { type: 'get' }) => {
  if (e.type === 'crash') throw new Error('crash')
  return e.type === 'inc' ? n + 1 : n
}, 0)

const waiter = setup({
  types: { context: {} as { pending: ReplyToken | null }, events: {} as { type: 'wait' } },
  actors: { never: fromPromise(() => new Promise<never>(() => {})) }
}).createMachine({
  context: { pending: null },
  initial: 'idle',
  states: { idle: { on: { wait: { target: 'waiting', actions: assign({ pending: () => deferReply() }) } } }, waiting: { invoke: { src: 'never' } } }
})

async function cycles(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const branch = await startBranch({ logic: counter, name: `hygiene-${i}` })
    branch.on('state', () => {})
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'inc' }, { delay: 60_000 }) // a pending delayed message, cancelled by stop
    await call(`hygiene-${i}`, { type: 'get' })
    const parked = await startBranch({ logic: waiter })
    const pending = call(parked, { type: 'wait' }, { timeout: 60_000 }).catch(() => {}) // a pending deferred call and its timer
    await Promise.all([branch.stop(), parked.stop({ timeout: 0 })])
    await pending
  }
}

async function crashes(n: number): Promise<void> {
  const sup = await startSupervisor({ maxRestarts: n * 2, maxSeconds: 3600, children: [branchSpec({ branch: { logic: counter, name: 'crashy', intensity: { maxRestarts: n * 2, maxSeconds: 3600 } } })] })
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) await call('crashy', { type: 'crash' }).catch(() => {})
    else cast('crashy', { type: 'inc' })
  }
  await sup.stop()
}

/** A store that acknowledges appends and keeps nothing, so only the keeper's own memory shows. */
class ForgetfulStore extends MemoryStore {
  override append(...[, events, expectedSeq]: Parameters<KeeperStore['append']>): Promise<number> {
    return Promise.resolve(expectedSeq + events.length)
  }
}

/** Journals `n` events on a branch left running: a journal must not keep them in memory. */
async function journaled(n: number): Promise<{ stop(): Promise<void> }> {
  const branch = await startBranch({ logic: counter, durable: { store: new ForgetfulStore(), id: `journaled-${n}`, mode: 'journal', snapshotEvery: 0 } })
  for (let i = 0; i < n; i++) await call(branch, { type: 'inc' })
  return branch
}

await cycles(500) // warm up: JIT, caches
await crashes(500)
const warm = await journaled(500)
const before = heap()
await cycles(10_000)
await crashes(10_000)
const live = await journaled(100_000)
const after = heap()
await Promise.all([warm.stop(), live.stop()])
const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap')
console.log(JSON.stringify({ before, after, growth: after - before, perCycle: (after - before) / 20_000, resources }))
