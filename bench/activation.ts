import { call, cast, startBranch, type AnyBranch } from '../src/index'
import { BenchClock } from './clock'
import { interleave, type Schedule, type Task } from './harness'
import { bigItems, counterMachine, type CounterEvent, type Item } from './logics'
import type { Profile } from './profile'
import { row, type Group, type Row } from './report'
import { summarizeTask } from './stats'

const GET: CounterEvent = { type: 'get' }
const INC: CounterEvent = { type: 'inc' }
/** Incs applied before measuring, so an answer of INCS proves the state was kept. */
const INCS = 3
const IDLE_MS = 1000

interface Size {
  readonly name: string
  readonly items: () => Item[]
  readonly schedule: (profile: Profile) => Schedule
}

const SIZES: readonly Size[] = [
  { name: 'small state', items: () => [], schedule: (p) => p.fast },
  { name: '~1 MB state', items: () => bigItems(), schedule: (p) => p.slow }
]

const logic = counterMachine('keepsake')

async function counted(branch: AnyBranch): Promise<void> {
  const answer = await call(branch, GET)
  if (answer !== INCS) throw new Error(`branch answered ${String(answer)}, expected the kept ${INCS}`)
}

async function sizeRows(size: Size, profile: Profile): Promise<Row[]> {
  const items = size.items()
  // The idle branch runs on a manual clock: before each sample (untimed) the
  // clock moves past its idleTimeout and it passivates; the sample is the call
  // that wakes it.
  const clock = new BenchClock()
  const idle = await startBranch({ logic, input: { items }, clock, idleTimeout: IDLE_MS })
  const active = await startBranch({ logic, input: { items } })
  for (const branch of [idle, active]) for (let i = 0; i < INCS; i++) cast(branch, INC)
  let activations = 0
  idle.on('activate', () => activations++)
  const tasks: Task[] = [
    {
      name: `passivated ${size.name}`,
      async: true,
      beforeEach: () => {
        clock.advance(IDLE_MS)
        if (idle.status !== 'passivated') throw new Error(`the idle branch is ${idle.status}, not passivated`)
      },
      fn: () => counted(idle)
    },
    { name: `active ${size.name}`, async: true, fn: () => counted(active) }
  ]
  const pool = await interleave(tasks, size.schedule(profile))
  await Promise.all([idle.stop(), active.stop()])
  const subject = summarizeTask(pool, `passivated ${size.name}`, 'keepsake')
  if (activations < subject.samples) throw new Error(`${activations} activations for ${subject.samples} samples`)
  return [row({ name: `${size.name}: call to a passivated branch`, subject, floor: summarizeTask(pool, `active ${size.name}`, 'call to an active branch') })]
}

export async function activationGroup(profile: Profile): Promise<Group> {
  const rows: Row[] = []
  for (const size of SIZES) rows.push(...(await sizeRows(size, profile)))
  return {
    id: 'activation',
    title: 'activation: a call that wakes a passivated branch, against a call to an active one',
    rows,
    notes: [
      'keepsake: the counter machine with `idleTimeout` on a manual clock; before every sample (untimed) ' +
        'the clock moves past the timeout and the branch is checked to be `passivated`; the sample is ' +
        '`await call(branch, get)`, which starts a worker from the kept state and is answered by it ' +
        '(checked: the kept count; every sample counted one `activate` event).',
      'Floor: the same call on a branch of the same logic and state that never passivates, in the same rounds.',
      `~1 MB state: ${bigItems().length.toLocaleString('en-US')} records in the context, as in the restart group.`
    ]
  }
}
