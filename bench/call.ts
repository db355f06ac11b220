import { call } from '../src/index'
import { interleave, type Task } from './harness'
import { requester, type CounterEvent } from './logics'
import { CONTENDERS, startPair, type Contender, type Pair } from './pair'
import type { Profile } from './profile'
import { describeTimes, ratioAtMost, row, type Group } from './report'
import { summarizeTask } from './stats'

const GET: CounterEvent = { type: 'get' }

/** Issue 19's call targets, keepsake p50 over the floor's. */
const CALL_TARGET = { machine: 1.2, fromTransition: 1.35 } as const

const ANSWERED_BY = { machine: 'machine (assign + reply)', fromTransition: 'fromTransition (respond)' } as const

/** `await call(branch, get)` against send + emitted reply on a bare actor of the same logic. */
async function callTasks({ kind }: Contender, { branch, actor }: Pair): Promise<Task[]> {
  const ask = requester(actor)
  // Both must answer the count, not keepsake's fallback (the state), or the pair measures different work.
  const answers = [await call(branch, GET), await ask(GET)]
  if (answers.some((a) => a !== 0)) throw new Error(`${kind}: expected both to answer 0, got ${answers.join(', ')}`)
  return [
    { name: `keepsake ${kind}`, async: true, fn: () => call(branch, GET) },
    { name: `xstate ${kind}`, async: true, fn: () => ask(GET) }
  ]
}

/** What the harness itself costs per awaited sample: a resolved promise, no xstate. */
const harnessFloor: Task = { name: 'await a resolved promise', async: true, fn: () => Promise.resolve(0) }

export async function callGroup(profile: Profile): Promise<Group> {
  const pairs = await Promise.all(CONTENDERS.map(startPair))
  const tasks = await Promise.all(CONTENDERS.map((c, i) => callTasks(c, pairs[i] as Pair)))
  const pool = await interleave([...tasks.flat(), harnessFloor], profile.fast)
  await Promise.all(pairs.map((p) => p.close()))
  return {
    id: 'call',
    title: 'call: request/reply round trip, one at a time',
    rows: CONTENDERS.map(({ kind }) =>
      row({
        name: ANSWERED_BY[kind],
        subject: summarizeTask(pool, `keepsake ${kind}`, 'keepsake'),
        floor: summarizeTask(pool, `xstate ${kind}`, 'xstate send + emit'),
        // Issue 19's targets (issue 5's was 1.3x for both).
        target: ratioAtMost(CALL_TARGET[kind], 'issue 19'),
        anchor: 'p50 31-45 µs'
      })
    ),
    notes: [
      'Each sample is one awaited round trip timed by tinybench, so both sides include the ' +
        "harness's own cost, measured in the same rounds as an awaited resolved promise: " +
        `${describeTimes(summarizeTask(pool, harnessFloor.name, ''))}. The ratio understates the gap by about that much.`
    ]
  }
}
