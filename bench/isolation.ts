import { spawn, type ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { Worker as ThreadWorker } from 'node:worker_threads'
import { call, startBranch, type AnyBranch, type Isolation } from '../src/index'
import { interleave, type Task } from './harness'
import { bigItems, type CounterEvent } from './logics'
import type { Profile } from './profile'
import { ratioAtMost, row, type Group, type Row } from './report'
import { summarizeTask, summarizeTimes } from './stats'

const GET: CounterEvent = { type: 'get' }
const MODES = ['none', 'thread', 'process'] as const satisfies readonly Isolation[]
const REMOTE = ['thread', 'process'] as const
const LOGIC = { module: new URL('./isolated-logic.ts', import.meta.url), export: 'counter' }

async function start(isolation: Isolation, input?: unknown): Promise<{ branch: AnyBranch; ms: number }> {
  const began = performance.now()
  const branch = await startBranch({ logic: LOGIC, isolation, ...(input === undefined ? {} : { input }) })
  return { branch, ms: performance.now() - began }
}

/** The cheapest round trip to another thread or process: the event out, a reply back, nothing run on either side. */
interface Echo {
  roundTrip(event: CounterEvent): Promise<unknown>
  close(): void
}

const ECHO = "m => reply({ type: 'reply', value: 0 })"

function threadEcho(): Echo {
  const thread = new ThreadWorker(`const { parentPort } = require('node:worker_threads'); const reply = (m) => parentPort.postMessage(m); parentPort.on('message', ${ECHO})`, { eval: true })
  let settle: ((value: unknown) => void) | undefined
  thread.on('message', (message) => settle?.(message))
  return {
    roundTrip: (event) => new Promise((resolve) => ((settle = resolve), thread.postMessage(event))),
    close: () => void thread.terminate()
  }
}

function processEcho(): Echo {
  const child: ChildProcess = spawn(process.execPath, ['-e', `const reply = (m) => process.send(m); process.on('message', ${ECHO})`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  let settle: ((value: unknown) => void) | undefined
  child.on('message', (message) => settle?.(message))
  return {
    roundTrip: (event) => new Promise((resolve) => ((settle = resolve), child.send(event))),
    close: () => void child.kill()
  }
}

/**
 * A call's round trip with the worker in this thread, a worker thread and a
 * child process: the same module-named machine (assign + reply) behind each,
 * sampled in the same rounds; the same call to a worker holding ~1 MB of
 * state (which the call leaves as it is, but for one field), against a small
 * one and against a bare `postMessage` / `process.send` round trip of the
 * event; plus what starting each kind of branch costs.
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
  const items = bigItems()
  const big = new Map<string, AnyBranch>()
  for (const mode of REMOTE) big.set(mode, (await start(mode, { items })).branch)
  const echoes = new Map<string, Echo>([['thread', threadEcho()], ['process', processEcho()]])
  const tasks: Task[] = [
    ...MODES.map((mode) => ({ name: mode, async: true, fn: () => call(branches.get(mode) as AnyBranch, GET) })),
    ...REMOTE.map((mode) => ({ name: `${mode}, big`, async: true, fn: () => call(big.get(mode) as AnyBranch, GET) })),
    ...REMOTE.map((mode) => ({ name: `${mode}, echo`, async: true, fn: () => (echoes.get(mode) as Echo).roundTrip(GET) }))
  ]
  const pool = await interleave(tasks, profile.fast)
  await Promise.all([...branches.values(), ...big.values()].map((b) => b.stop()))
  for (const echo of echoes.values()) echo.close()
  const none = summarizeTask(pool, 'none', "isolation 'none'")
  const startOf = (mode: Isolation) => summarizeTimes(`start, ${mode}`, starts.get(mode) as number[])
  const changeRows = REMOTE.flatMap((mode): Row[] => {
    const small = summarizeTask(pool, mode, `isolation '${mode}', small state`)
    const bigCall = summarizeTask(pool, `${mode}, big`, `isolation '${mode}', ~1 MB state`)
    const echo = summarizeTask(pool, `${mode}, echo`, mode === 'thread' ? 'postMessage round trip' : 'process.send round trip')
    return [
      row({ name: `call, isolation '${mode}', ~1 MB state, one field changed`, subject: bigCall, floor: small, target: ratioAtMost(1.3) }),
      row({ name: `call, isolation '${mode}', ~1 MB state, against a bare ${mode === 'thread' ? 'postMessage' : 'process.send'} round trip`, subject: bigCall, floor: echo, target: ratioAtMost(1.5) })
    ]
  })
  return {
    id: 'isolation',
    title: "isolation: a call's round trip with the worker in a thread or a process, against 'none'",
    anchorTitle: 'reference',
    rows: [
      row({ name: "call, isolation 'thread'", subject: summarizeTask(pool, 'thread', "isolation 'thread'"), floor: none }),
      row({ name: "call, isolation 'process'", subject: summarizeTask(pool, 'process', "isolation 'process'"), floor: none }),
      ...changeRows,
      row({ name: "startBranch, isolation 'thread'", subject: startOf('thread'), floor: startOf('none') }),
      row({ name: "startBranch, isolation 'process'", subject: startOf('process'), floor: startOf('none') })
    ],
    notes: [
      'A call to an isolated worker is two structured-clone messages: the event out; the reply back with the ' +
        "state's change (what differs from the state sent before: here one field) and, only when more than the " +
        "context changed, the rest of xstate's persisted snapshot. The parent applies the change to the state it " +
        'holds, sharing the rest, and freezes only what is new.',
      `The ~1 MB state is the counter machine's context carrying ${items.length.toLocaleString('en-US')} records of ~100 bytes ` +
        '(the restart benchmarks\' state), which `get` leaves alone but for its call count. The bare round trips ' +
        'send the same event to a thread or a child process (`serialization: \'advanced\'`, structured clone as ' +
        "keepsake's channel) that answers with a constant, running nothing.",
      'Start times are for a fresh thread or process that loads the logic module through tsx (the bench runs ' +
        'from sources); from the build, with a JavaScript module, a thread starts in ~0.1 s and a process in ~0.2 s ' +
        'on this machine. A branch keeps its host across the crashes it survives, so only a hang, an out-of-memory ' +
        'or a native crash pays a new start. A pool of threads shared between branches was not built: the start is ' +
        'paid once per branch, and a shared host would make one branch\'s hang every branch\'s.'
    ]
  }
}
