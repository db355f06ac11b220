import { createActor } from 'xstate'
import { call, cast, startBranch } from '../src/index'
import { counterMachine, counterReducer, requester, type CounterEvent } from './logics'
import { mixIfAsked } from './mixed'

// A profile harness for the per-message path (issue 19): `n` awaited calls or
// casts of one kind, keepsake or the bare actor, nothing else in the process.
//   node --cpu-prof --import tsx bench/hot-loop.ts <call|cast> <machine|fromTransition> <keepsake|xstate> [n]
// With `both` as the side, alternates rounds of the two (ROUNDS, default 40) and prints each one's ns per
// operation: the medians and the median of the rounds' ratios, and the fastest round of each (on a machine
// shared with other work the fastest round is the one least disturbed, so its ratio moves least).

const [op = 'call', kind = 'fromTransition', side = 'both', nArg = '1000000'] = process.argv.slice(2)
const n = Number(nArg)
const build = kind === 'machine' ? counterMachine : counterReducer
const GET: CounterEvent = { type: 'get' }
const INC: CounterEvent = { type: 'inc' }

const branch = await startBranch({ logic: build('keepsake') })
const actor = createActor(build('emit')).start()
const ask = requester(actor)

// MIXED=1: this kind's branch and actor take casts beside the other kind's.
await mixIfAsked(kind, 200_000, () => {
  cast(branch, INC)
  actor.send(INC)
})

/** CPU time (this process, all threads) per operation, in ns: on a loaded machine, time spent descheduled is not counted. */
async function run(who: 'keepsake' | 'xstate', count: number): Promise<number> {
  const start = process.cpuUsage()
  if (op === 'call') {
    if (who === 'keepsake') for (let i = 0; i < count; i++) await call(branch, GET)
    else for (let i = 0; i < count; i++) await ask(GET)
  } else {
    if (who === 'keepsake') for (let i = 0; i < count; i++) cast(branch, INC)
    else for (let i = 0; i < count; i++) actor.send(INC)
  }
  const used = process.cpuUsage(start)
  return ((used.user + used.system) * 1000) / count
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

if (side === 'both') {
  // Short alternating rounds, each pair giving one ratio: the load moves between rounds, less within a pair.
  const rounds = Number(process.env.ROUNDS ?? 40)
  const per = Math.floor(n / rounds)
  await run('keepsake', per)
  await run('xstate', per)
  const times: Record<'keepsake' | 'xstate', number[]> = { keepsake: [], xstate: [] }
  const ratios: number[] = []
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? (['xstate', 'keepsake'] as const) : (['keepsake', 'xstate'] as const)
    for (const who of order) times[who].push(await run(who, per))
    ratios.push((times.keepsake.at(-1) as number) / (times.xstate.at(-1) as number))
  }
  const k = median(times.keepsake)
  const x = median(times.xstate)
  const [kMin, xMin] = [Math.min(...times.keepsake), Math.min(...times.xstate)]
  console.log(
    `${op} ${kind}: keepsake ${k.toFixed(0)} ns, xstate ${x.toFixed(0)} ns (CPU, medians), median ratio of rounds ${median(ratios).toFixed(2)}x; ` +
      `fastest rounds ${kMin.toFixed(0)} / ${xMin.toFixed(0)} ns = ${(kMin / xMin).toFixed(2)}x`
  )
} else {
  console.log(`${op} ${kind} ${side}: ${(await run(side as 'keepsake' | 'xstate', n)).toFixed(0)} ns/op (CPU)`)
}
actor.stop()
await branch.stop()
