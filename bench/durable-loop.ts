import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createActor } from 'xstate'
import { call, MemoryStore, startBranch, type DurableOptions, type KeeperStore } from '../src/index'
import { durableLogic, INC, INC_RECORD, openSqlite } from './journal'

// A profile harness for a durable call's own cost (issue 19): `n` awaited sync
// journal calls, against the same call to a branch that is not durable
// followed by the same `store.append` (what durability adds is the
// difference), against a bare xstate actor's send + getSnapshot with the same
// append (the cheapest bare-xstate way to do the same work), and against the
// append alone.
//   node --cpu-prof --import tsx bench/durable-loop.ts <durable|plain|bare|append> [n] [verifyReplay]
//   node --import tsx bench/durable-loop.ts all [n] [verifyReplay]
// `all` alternates rounds of the four (ROUNDS, default 40) and prints the medians of CPU time per call and
// of the per-round differences. verifyReplay: `true`, `false` or `sampled` (default: the option's default).
// STORE=memory (default), NORMAL or FULL: MemoryStore, or a SQLite file in a temp directory with that `synchronous`.
// WARM=w (one side only): w calls before the n counted, so that under callgrind two runs with the same w and two n
// give instructions per call as the difference of their totals over the difference of n (see bench/cast-count.ts).

type Side = 'durable' | 'plain' | 'bare' | 'append'
const [side = 'all', nArg = '200000', verifyArg] = process.argv.slice(2)
const n = Number(nArg)
const verifyReplay = (verifyArg === undefined ? undefined : verifyArg === 'true' ? true : verifyArg === 'false' ? false : verifyArg) as DurableOptions['verifyReplay']
const kind = process.env.STORE ?? 'memory'
if (!['memory', 'NORMAL', 'FULL'].includes(kind)) throw new Error(`STORE: memory, NORMAL or FULL, not ${kind}`)

const dir = kind === 'memory' ? undefined : mkdtempSync(join(tmpdir(), 'keepsake-loop-'))
const store: KeeperStore = dir ? await openSqlite(dir, 'loop', kind as 'NORMAL' | 'FULL') : new MemoryStore()
const durable = await startBranch({ logic: durableLogic, durable: { store, id: 'durable', mode: 'journal', durability: 'sync', ...(verifyReplay === undefined ? {} : { verifyReplay }) } })
const plain = await startBranch({ logic: durableLogic })
const bare = createActor(durableLogic, { input: undefined }).start()
const seqs: Record<'plain' | 'bare' | 'append', number> = { plain: 0, bare: 0, append: 0 }

/** CPU time (this process) per call, in ns: time spent descheduled on a loaded machine is not counted. */
async function run(who: Side, count: number): Promise<number> {
  const start = process.cpuUsage()
  if (who === 'durable') for (let i = 0; i < count; i++) await call(durable, INC)
  else if (who === 'plain') {
    for (let i = 0; i < count; i++) {
      await call(plain, INC)
      seqs.plain = await store.append('plain', [INC_RECORD], seqs.plain)
    }
  } else if (who === 'bare') {
    for (let i = 0; i < count; i++) {
      bare.send(INC)
      seqs.bare = await store.append('bare', [INC_RECORD], seqs.bare)
      bare.getSnapshot()
    }
  } else for (let i = 0; i < count; i++) seqs.append = await store.append('raw', [INC_RECORD], seqs.append)
  // The replay check runs from the event loop's next turn, which a loop of awaited calls on
  // MemoryStore never reaches: one turn inside the timed region counts the checks of the round.
  await new Promise((resolve) => setImmediate(resolve))
  const used = process.cpuUsage(start)
  return ((used.user + used.system) * 1000) / count
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

if (side === 'all') {
  const rounds = Number(process.env.ROUNDS ?? 40)
  // Whole snapshot intervals per round, so each round pays its share of the snapshots and their checks.
  const per = Math.max(1000, Math.floor(n / rounds / 1000) * 1000)
  const sides: Side[] = ['durable', 'plain', 'bare', 'append']
  for (const who of sides) await run(who, per)
  const times: Record<Side, number[]> = { durable: [], plain: [], bare: [], append: [] }
  for (let r = 0; r < rounds; r++) for (const who of r % 2 ? [...sides].reverse() : sides) times[who].push(await run(who, per))
  const over = (other: Side) => median(times.durable.map((t, i) => t - (times[other][i] as number))).toFixed(0)
  const [d, p, b, a] = [median(times.durable), median(times.plain), median(times.bare), median(times.append)]
  console.log(
    `${kind}: durable ${d.toFixed(0)} ns, plain + append ${p.toFixed(0)} ns, bare xstate + append ${b.toFixed(0)} ns, append ${a.toFixed(0)} ns ` +
      `(CPU, medians of ${rounds} rounds of ${per}); durable over plain + append ${over('plain')} ns, over bare + append ${over('bare')} ns, ` +
      `over append ${over('append')} ns (medians of the rounds' differences); durable / bare ${(d / b).toFixed(2)}x, durable / append ${(d / a).toFixed(2)}x`
  )
} else {
  await run(side as Side, Number(process.env.WARM ?? 0))
  console.log(`${kind} ${side}: ${(await run(side as Side, n)).toFixed(0)} ns/call (CPU)`)
}
await Promise.all([durable.stop(), plain.stop()])
bare.stop()
await store.close()
if (dir) rmSync(dir, { recursive: true, force: true })
