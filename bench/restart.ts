import { createActor, type Snapshot } from 'xstate'
import { call, cast, startBranch, WorkerCrashedError, type AnyBranch } from '../src/index'
import { interleave, type Schedule, type Task } from './harness'
import { bigItems, counterMachine, requester, type CounterEvent, type Item } from './logics'
import type { Profile } from './profile'
import { p50Under, row, type Group, type Row } from './report'
import { summarizeTask } from './stats'

const GET: CounterEvent = { type: 'get' }
const INC: CounterEvent = { type: 'inc' }
const CRASH: CounterEvent = { type: 'crash' }
/** Incs applied before measuring, so an answer of INCS proves the state survived. */
const INCS = 3

/**
 * Restarts per branch before it is swapped for a fresh one (outside the clock):
 * the default intensity stops a branch after 1000 restarts in 10 s, and the
 * benchmark should measure the default configuration, not a raised limit.
 */
const RESTARTS_PER_BRANCH = 900

const keepsakeLogic = counterMachine('keepsake')
const bareLogic = counterMachine('emit')

interface Size {
  readonly name: string
  readonly items: () => Item[]
  readonly schedule: (profile: Profile) => Schedule
  readonly targetMs: number
  readonly peeper: string
}

const SIZES: readonly Size[] = [
  { name: 'small state', items: () => [], schedule: (p) => p.fast, targetMs: 0.1, peeper: 'p50 0.6-1 ms' },
  // xstate's restore of 1 MB takes ~9 ms a sample, hence the slower schedule.
  { name: '~1 MB state', items: () => bigItems(), schedule: (p) => p.slow, targetMs: 4.6, peeper: 'p50 3.5-4.6 ms' }
]

/** A branch holding `items` and INCS incs, replaced every RESTARTS_PER_BRANCH restarts. */
async function rotatingBranch(items: readonly Item[]) {
  const fresh = async () => {
    const branch = await startBranch({ logic: keepsakeLogic, input: { items } })
    for (let i = 0; i < INCS; i++) cast(branch, INC)
    return branch
  }
  let branch: AnyBranch = await fresh()
  let restarts = 0
  return {
    get branch() {
      return branch
    },
    /** Counts a restart about to happen; swaps the branch first when it has had its share. */
    async beforeRestart() {
      if (++restarts <= RESTARTS_PER_BRANCH) return
      void branch.stop()
      branch = await fresh()
      restarts = 1
    },
    stop: () => branch.stop()
  }
}

/** keepsake: the answer after a restart must be the kept count, or nothing was kept. */
async function answerAfterRestart(branch: AnyBranch): Promise<void> {
  const answer = await call(branch, GET)
  if (answer !== INCS) throw new Error(`restarted worker answered ${String(answer)}, expected the kept ${INCS}`)
}

async function sizeTasks(size: Size) {
  const killed = await rotatingBranch(size.items())
  const crashed = await rotatingBranch(size.items())

  // xstate's own path: persist once (outside the clock), then per sample stop
  // the old actor, restore a new one from the snapshot and ask it.
  const source = createActor(bareLogic, { input: { items: size.items() } }).start()
  for (let i = 0; i < INCS; i++) source.send(INC)
  const persisted = source.getPersistedSnapshot() as Snapshot<unknown>
  source.stop()
  // `input` is ignored when restoring; xstate's types ask for it all the same.
  const restore = () => createActor(bareLogic, { snapshot: persisted, input: undefined }).start()
  let restored = restore()

  const tasks: Task[] = [
    {
      name: `kill ${size.name}`,
      async: true,
      beforeEach: () => killed.beforeRestart(),
      fn: async () => {
        killed.branch.kill()
        await answerAfterRestart(killed.branch)
      }
    },
    {
      name: `crash ${size.name}`,
      async: true,
      beforeEach: () => crashed.beforeRestart(),
      fn: async () => {
        await call(crashed.branch, CRASH).then(
          () => Promise.reject(new Error('the crash event did not crash the worker')),
          (error: unknown) => (error instanceof WorkerCrashedError ? undefined : Promise.reject(error))
        )
        await answerAfterRestart(crashed.branch)
      }
    },
    {
      name: `xstate ${size.name}`,
      async: true,
      fn: async () => {
        restored.stop()
        restored = restore()
        const answer = await requester(restored)(GET)
        if (answer !== INCS) throw new Error(`xstate's restored actor answered ${answer}, expected ${INCS}`)
      }
    }
  ]
  const close = async () => {
    restored.stop()
    await Promise.all([killed.stop(), crashed.stop()])
  }
  return { tasks, close }
}

async function sizeRows(size: Size, profile: Profile): Promise<Row[]> {
  const { tasks, close } = await sizeTasks(size)
  const pool = await interleave(tasks, size.schedule(profile))
  await close()
  const floor = summarizeTask(pool, `xstate ${size.name}`, 'xstate restore')
  return (['kill', 'crash'] as const).map((how) =>
    row({
      name: `${size.name}, ${how === 'kill' ? 'branch.kill()' : 'a call that throws'}`,
      subject: summarizeTask(pool, `${how} ${size.name}`, 'keepsake'),
      floor,
      target: p50Under(size.targetMs),
      anchor: size.peeper
    })
  )
}

export async function restartGroup(profile: Profile): Promise<Group> {
  const rows: Row[] = []
  for (const size of SIZES) rows.push(...(await sizeRows(size, profile)))
  const bytes = JSON.stringify(bigItems()).length
  return {
    id: 'restart',
    title: 'restart: from a crash to the restarted worker answering a call with the kept state',
    rows,
    notes: [
      `~1 MB state: a context holding ${bigItems().length.toLocaleString('en-US')} records, ` +
        `${(bytes / 1e6).toFixed(2)} MB as JSON.`,
      'keepsake: `branch.kill()` (or a call whose action throws, which also rejects that call) then ' +
        '`await call(branch, get)`; the answer is checked to be the kept count.',
      "xstate restore: stop the old actor, `createActor(machine, { snapshot }).start()` from a snapshot " +
        'persisted once outside the clock, then one request/reply.',
      `A branch is swapped for a fresh one (outside the clock) every ${RESTARTS_PER_BRANCH} restarts, ` +
        'so the default restart intensity (1000 in 10 s) is measured as shipped, never exceeded.'
    ]
  }
}
