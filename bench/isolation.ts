import { performance } from 'node:perf_hooks'
import { call, startBranch, type AnyBranch, type Isolation } from '../src/index'
import { interleave } from './harness'
import type { CounterEvent } from './logics'
import type { Profile } from './profile'
import { row, type Group } from './report'
import { summarizeTask, summarizeTimes } from './stats'

const GET: CounterEvent = { type: 'get' }
const MODES = ['none', 'thread', 'process'] as const satisfies readonly Isolation[]
const LOGIC = { module: new URL('./isolated-logic.ts', import.meta.url), export: 'counter' }

async function start(isolation: Isolation): Promise<{ branch: AnyBranch; ms: number }> {
  const began = performance.now()
  const branch = await startBranch({ logic: LOGIC, isolation })
  return { branch, ms: performance.now() - began }
}

/**
 * A call's round trip with the worker in this thread, a worker thread and a
 * child process: the same module-named machine (assign + reply) behind each,
 * sampled in the same rounds; plus what starting each kind of branch costs.
 */
export async function isolationGroup(profile: Profile): Promise<Group> {
  const starts = new Map<Isolation, number[]>(MODES.map((mode) => [mode, []]))
  const branches = new Map<Isolation, AnyBranch>()
  for (let i = 0; i < (profile.quick ? 1 : 3); i++) {
    for (const mode of MODES) {
      const { branch, ms } = await start(mode)
      starts.get(mode)?.push(ms)
      const previous = branches.get(mode)
      branches.set(mode, branch)
      await previous?.stop()
    }
  }
  const tasks = MODES.map((mode) => {
    const branch = branches.get(mode) as AnyBranch
    return { name: mode, async: true, fn: () => call(branch, GET) }
  })
  const pool = await interleave(tasks, profile.fast)
  await Promise.all([...branches.values()].map((b) => b.stop()))
  const none = summarizeTask(pool, 'none', "isolation 'none'")
  const startOf = (mode: Isolation) => summarizeTimes(`start, ${mode}`, starts.get(mode) as number[])
  return {
    id: 'isolation',
    title: "isolation: a call's round trip with the worker in a thread or a process, against 'none'",
    anchorTitle: 'reference',
    rows: [
      row({ name: "call, isolation 'thread'", subject: summarizeTask(pool, 'thread', "isolation 'thread'"), floor: none }),
      row({ name: "call, isolation 'process'", subject: summarizeTask(pool, 'process', "isolation 'process'"), floor: none }),
      row({ name: "startBranch, isolation 'thread'", subject: startOf('thread'), floor: startOf('none') }),
      row({ name: "startBranch, isolation 'process'", subject: startOf('process'), floor: startOf('none') })
    ],
    notes: [
      "A call to an isolated worker is two structured-clone messages (the event out; the persisted snapshot " +
        'and the reply back) and a hop through each side\'s event loop; the state is frozen again in the parent.',
      'Start times are for a fresh thread or process that loads the logic module through tsx (the bench runs ' +
        'from sources); from the build, with a JavaScript module, a thread starts in ~0.1 s and a process in ~0.2 s ' +
        'on this machine. A branch keeps its host across the crashes it survives, so only a hang, an out-of-memory ' +
        'or a native crash pays a new start. A pool of threads shared between branches was not built: the start is ' +
        'paid once per branch, and a shared host would make one branch\'s hang every branch\'s.'
    ]
  }
}
