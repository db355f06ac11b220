import { createActor } from 'xstate'
import { call, startBranch, type AnyBranch } from '../src/index'
import { interleave, type Schedule, type Task } from './harness'
import { counterMachine, requester, type CounterEvent } from './logics'
import { Population, type Resizable } from './population'
import type { Profile } from './profile'
import { describeTimes, p50Under, ratioAtMost, row, type Group, type Row } from './report'
import { summarizeTask } from './stats'

const GET: CounterEvent = { type: 'get' }
const keepsakeLogic = counterMachine('keepsake')
const bareLogic = counterMachine('emit')

const branches = () => new Population<AnyBranch>(() => startBranch({ logic: keepsakeLogic }), (b) => b.stop())
const actors = () =>
  new Population(
    () => {
      const actor = createActor(bareLogic, { input: undefined }).start()
      return { actor, ask: requester(actor) }
    },
    ({ actor }) => actor.stop()
  )

const count = (n: number) => n.toLocaleString('en-US')

/** One sample = start `n` from none (`await startBranch` in a loop vs `createActor().start()`); stopped after, untimed. */
function startTasks(n: number): Task[] {
  return [
    { name: `keepsake start ${n}`, population: branches() },
    { name: `xstate start ${n}`, population: actors() }
  ].map(({ name, population }) => ({
    name,
    async: true,
    fn: () => population.resize(n),
    after: () => population.resize(0)
  }))
}

const ONE_SAMPLE_PER_ROUND: Omit<Schedule, 'rounds'> = { time: 0, iterations: 1, warmupTime: 0 }

async function startRows(profile: Profile): Promise<Row[]> {
  // An unrecorded small round first, so the first recorded one is not also the one that compiles the code.
  await interleave(startTasks(1_000), { rounds: 2, ...ONE_SAMPLE_PER_ROUND })
  const rows: Row[] = []
  for (const n of profile.startCounts) {
    const pool = await interleave(startTasks(n), { rounds: profile.startRounds, ...ONE_SAMPLE_PER_ROUND })
    rows.push(
      row({
        name: `start ${count(n)} (time for all)`,
        subject: summarizeTask(pool, `keepsake start ${n}`, 'keepsake', n),
        floor: summarizeTask(pool, `xstate start ${n}`, 'xstate createActor().start()', n),
        ...(n === 10_000 ? { target: p50Under(2000), anchor: '234 s' } : {}),
        // Issue 19: 100,000 branches start within 1.3x of 100,000 bare actors.
        ...(n === 100_000 ? { target: ratioAtMost(1.3, 'issue 19') } : {})
      })
    )
  }
  return rows
}

const FEW = 10
const MANY = 10_000

/**
 * Round-robin calls with FEW and with MANY alive, and the same with bare
 * actors for reference. Before its turn (untimed) each task makes exactly its
 * own population alive and the other empty, so "n alive" means n in the
 * process, and the rounds interleave the sizes.
 */
async function populationRows(profile: Profile): Promise<{ rows: Row[]; notes: string[] }> {
  const keepsake = branches()
  const bare = actors()
  const only = async (mine: Resizable, other: Resizable, size: number) => {
    await other.resize(0) // shrink first, so the two are never both at their peak
    await mine.resize(size)
  }
  const tasks: Task[] = [FEW, MANY].flatMap((alive) => [
    {
      name: `keepsake ${alive} alive`,
      async: true,
      before: () => only(keepsake, bare, alive),
      fn: () => call(keepsake.next(), GET)
    },
    {
      name: `xstate ${alive} alive`,
      async: true,
      before: () => only(bare, keepsake, alive),
      fn: () => bare.next().ask(GET)
    }
  ])
  const pool = await interleave(tasks, profile.population)
  await Promise.all([keepsake.resize(0), bare.resize(0)])
  const keepsakeMany = summarizeTask(pool, `keepsake ${MANY} alive`, 'keepsake')
  const xstateFew = summarizeTask(pool, `xstate ${FEW} alive`, '')
  const xstateMany = summarizeTask(pool, `xstate ${MANY} alive`, `xstate, ${count(MANY)} alive`)
  return {
    rows: [
      row({
        name: `call with ${count(MANY)} alive vs ${FEW} alive`,
        subject: keepsakeMany,
        floor: summarizeTask(pool, `keepsake ${FEW} alive`, `keepsake, ${FEW} alive`),
        target: ratioAtMost(1.3),
        anchor: 'p50 9.7 ms with 10,000 alive'
      }),
      row({
        name: `call with ${count(MANY)} alive vs bare actors`,
        subject: keepsakeMany,
        floor: xstateMany,
        target: ratioAtMost(1.3)
      })
    ],
    notes: [
      `Calls go round-robin over all live branches, so with ${count(MANY)} alive each call touches a ` +
        'branch that is cold in the CPU caches. Bare xstate actors (send + emitted reply), in the same ' +
        `rounds: ${FEW} alive ${describeTimes(xstateFew)}; ${count(MANY)} alive ${describeTimes(xstateMany)} ` +
        `(${(xstateMany.p50 / xstateFew.p50).toFixed(2)}x): what the same growth costs without keepsake. ` +
        '"Flat" is judged as within 1.3x, the bar of the call target.'
    ]
  }
}

export async function scaleGroup(profile: Profile): Promise<Group> {
  const starts = await startRows(profile)
  const calls = await populationRows(profile)
  return {
    id: 'scale',
    title: 'scale: starting many branches, and calls among many',
    rows: [...starts, ...calls.rows],
    notes: [
      `Start lines: one sample per round (${profile.startRounds} rounds, sides alternating); p50 / p99 ` +
        'are over rounds, the rate is starts per second. Everything started is stopped between samples, untimed.',
      ...calls.notes
    ]
  }
}
