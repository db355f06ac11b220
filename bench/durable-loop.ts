import { call, MemoryStore, startBranch, type DurableOptions } from '../src/index'
import { durableLogic, INC, INC_RECORD } from './journal'

// A profile harness for a durable call's own cost (issue 19): `n` awaited sync
// journal calls on MemoryStore, against the same call to a branch that is not
// durable followed by the same `store.append` (what durability adds is the
// difference), and against the append alone.
//   node --cpu-prof --import tsx bench/durable-loop.ts <durable|plain|append> [n] [verifyReplay]
//   node --import tsx bench/durable-loop.ts all [n] [verifyReplay]
// `all` alternates rounds of the three (ROUNDS, default 40) and prints the medians of CPU time per call and
// of the per-round differences. verifyReplay: `true`, `false` or `sampled` (default: the option's default).

type Side = 'durable' | 'plain' | 'append'
const [side = 'all', nArg = '200000', verifyArg] = process.argv.slice(2)
const n = Number(nArg)
const verifyReplay = (verifyArg === undefined ? undefined : verifyArg === 'true' ? true : verifyArg === 'false' ? false : verifyArg) as DurableOptions['verifyReplay']

const store = new MemoryStore()
const durable = await startBranch({ logic: durableLogic, durable: { store, id: 'durable', mode: 'journal', durability: 'sync', ...(verifyReplay === undefined ? {} : { verifyReplay }) } })
const plain = await startBranch({ logic: durableLogic })
let [plainSeq, rawSeq] = [0, 0]

/** CPU time (this process) per call, in ns: time spent descheduled on a loaded machine is not counted. */
async function run(who: Side, count: number): Promise<number> {
  const start = process.cpuUsage()
  if (who === 'durable') for (let i = 0; i < count; i++) await call(durable, INC)
  else if (who === 'plain') {
    for (let i = 0; i < count; i++) {
      await call(plain, INC)
      plainSeq = await store.append('plain', [INC_RECORD], plainSeq)
    }
  } else for (let i = 0; i < count; i++) rawSeq = await store.append('raw', [INC_RECORD], rawSeq)
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
  const sides: Side[] = ['durable', 'plain', 'append']
  for (const who of sides) await run(who, per)
  const times: Record<Side, number[]> = { durable: [], plain: [], append: [] }
  for (let r = 0; r < rounds; r++) for (const who of r % 2 ? [...sides].reverse() : sides) times[who].push(await run(who, per))
  const adds = times.durable.map((t, i) => t - (times.plain[i] as number))
  const [d, p, a] = [median(times.durable), median(times.plain), median(times.append)]
  console.log(
    `durable ${d.toFixed(0)} ns, plain + append ${p.toFixed(0)} ns, append ${a.toFixed(0)} ns (CPU, medians of ${rounds} rounds of ${per}); ` +
      `durability adds ${median(adds).toFixed(0)} ns (median of the rounds' differences); durable / append ${(d / a).toFixed(2)}x`
  )
} else {
  console.log(`${side}: ${(await run(side as Side, n)).toFixed(0)} ns/call (CPU)`)
}
await Promise.all([durable.stop(), plain.stop()])
