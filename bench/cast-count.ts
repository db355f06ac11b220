import { createActor } from 'xstate'
import { cast, startBranch } from '../src/index'
import { counterMachine, counterReducer, type CounterEvent } from './logics'
import { mixIfAsked } from './mixed'

// Fixed work for an instruction count (issue 19): `warm` casts of one kind to warm the code up, then
// `n` more, through keepsake or the bare actor. Run it under callgrind twice, with two `n`, and
// divide the difference of the totals by the difference of `n`: instructions per cast, whatever the load.
//   valgrind --tool=callgrind node --single-threaded --import tsx bench/cast-count.ts <machine|fromTransition> <keepsake|xstate> <n> [warm]

const [kind = 'fromTransition', side = 'keepsake', nArg = '200000', warmArg = '100000'] = process.argv.slice(2)
const build = kind === 'machine' ? counterMachine : counterReducer
const INC: CounterEvent = { type: 'inc' }

const branch = await startBranch({ logic: build('keepsake') })
const actor = createActor(build('emit')).start()
await mixIfAsked(kind, 20_000)
const work = side === 'keepsake' ? () => cast(branch, INC) : () => actor.send(INC)
for (let i = 0, warm = Number(warmArg); i < warm; i++) work()
for (let i = 0, n = Number(nArg); i < n; i++) work()
actor.stop()
await branch.stop()
