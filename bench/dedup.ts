import { fromTransition } from 'xstate'
import { call, deferReply, replyTo, startBranch, type AnyBranch } from '../src/index'
import { interleave, type Task } from './harness'
import type { Profile } from './profile'
import { row, type Group, type Row } from './report'
import { summarizeTask } from './stats'

/** Identical calls in flight at once in every sample. */
const BURST = 1000
const EVENT = { type: 'lookup', sku: 'tea' } as const
const ANSWER = 'tea: 4.20'

interface Operation {
  readonly name: string
  /** Answers a deferred reply later: after a timer, or once a resolved promise runs. */
  readonly later: (answer: () => void) => void
}

const OPERATIONS: readonly Operation[] = [
  { name: '5 ms timer', later: (answer) => void setTimeout(answer, 5) },
  { name: 'resolved promise', later: (answer) => void Promise.resolve().then(answer) }
]

/** A lookup that takes a fixed async time (a deferred reply) and counts its executions. */
function lookup(operation: Operation) {
  const counter = { executions: 0 }
  const logic = fromTransition((state: null, _event: typeof EVENT) => {
    counter.executions++
    const token = deferReply()
    operation.later(() => replyTo(token, ANSWER))
    return state
  }, null)
  return { logic, counter }
}

/** How a side groups its calls. */
interface Variant {
  readonly name: string
  /** The branch's grouper, if any. */
  readonly grouper?: (event: typeof EVENT) => string
  readonly dedupe: boolean
}

const PLAIN: Variant = { name: 'no dedupe', dedupe: false }
const DEDUPED: readonly Variant[] = [
  { name: '`dedupe: true` (SHA-256 key)', dedupe: true },
  // The grouper decides for every call to the branch; the call says nothing.
  { name: 'grouper (`sku` as key)', grouper: (event) => event.sku, dedupe: false }
]

/** One side: a branch, its executions per burst, and the task that times a burst. */
async function side(operation: Operation, variant: Variant) {
  const { logic, counter } = lookup(operation)
  const branch: AnyBranch = await startBranch({ logic, ...(variant.grouper ? { grouper: variant.grouper as never } : {}) })
  const options = variant.grouper ? {} : { dedupe: variant.dedupe }
  const perBurst: number[] = []
  const name = `${operation.name}, ${variant.name}`
  const task: Task = {
    name,
    async: true,
    fn: async () => {
      const before = counter.executions
      const answers = await Promise.all(Array.from({ length: BURST }, () => call(branch, EVENT, options)))
      perBurst.push(counter.executions - before)
      if (answers.length !== BURST || answers.some((a) => a !== ANSWER)) throw new Error(`${name}: a caller got another answer`)
    }
  }
  return { variant, name, task, perBurst, stop: () => branch.stop() }
}

function range(values: readonly number[]): string {
  const min = Math.min(...values)
  const max = Math.max(...values)
  return min === max ? min.toLocaleString('en-US') : `${min.toLocaleString('en-US')}-${max.toLocaleString('en-US')}`
}

/** "2.30x faster" or "1.31x slower": the floor's p50 over the subject's. */
function gain(floorP50: number, subjectP50: number): string {
  const g = floorP50 / subjectP50
  return g >= 1 ? `${g.toFixed(2)}x faster` : `${(1 / g).toFixed(2)}x slower`
}

export async function dedupGroup(profile: Profile): Promise<Group> {
  const rows: Row[] = []
  const notes: string[] = []
  const figures: Record<string, number> = {}
  for (const operation of OPERATIONS) {
    const plain = await side(operation, PLAIN)
    const sides = [plain]
    for (const variant of DEDUPED) sides.push(await side(operation, variant))
    const pool = await interleave(
      sides.map((s) => s.task),
      profile.slow
    )
    await Promise.all(sides.map((s) => s.stop()))
    const floor = summarizeTask(pool, plain.name, 'keepsake, no dedupe', BURST)
    const plainExecutions = Math.min(...plain.perBurst)
    figures[`${operation.name}: executions per burst, no dedupe`] = plainExecutions
    const parts = [`${range(plain.perBurst)} without dedupe (${plain.perBurst.length} bursts)`]
    for (const deduped of sides.slice(1)) {
      const subject = summarizeTask(pool, deduped.name, 'keepsake', BURST)
      rows.push(row({ name: `${operation.name}, ${deduped.variant.name}: time for the burst`, subject, floor }))
      const executions = Math.max(...deduped.perBurst)
      figures[`${operation.name}: executions per burst, ${deduped.variant.name}`] = executions
      figures[`${operation.name}: latency gain, ${deduped.variant.name} (no dedupe p50 / its p50)`] = floor.p50 / subject.p50
      parts.push(
        `${range(deduped.perBurst)} with ${deduped.variant.name} (${deduped.perBurst.length} bursts; ` +
          `${(plainExecutions / Math.max(executions, 1)).toLocaleString('en-US')}x fewer executions, ` +
          `${gain(floor.p50, subject.p50)} at p50)`
      )
    }
    notes.push(`${operation.name}: executions per burst, counted inside the logic (warm-up included): ${parts.join('; ')}.`)
  }
  return {
    id: 'dedup',
    title: `dedup: a burst of ${BURST.toLocaleString('en-US')} identical concurrent calls, with and without dedupe`,
    rows,
    figures,
    notes: [
      `A sample is ${BURST.toLocaleString('en-US')} \`call(branch, { type: 'lookup', sku: 'tea' }, options)\` ` +
        'made at once and awaited together (p50 / p99 are of the whole burst, the rate is calls per second). ' +
        'The logic is a `fromTransition` reducer that counts its executions and answers with `deferReply` / ' +
        '`replyTo` after a fixed async step. Every caller is checked to get the answer. The floor is ' +
        'the same burst on a branch of the same logic with `dedupe: false`, in the same rounds as both deduplicated sides.',
      ...notes,
      'Without dedupe the worker frees itself at each deferral, so the 1,000 executions overlap their ' +
        'waits: the burst does not wait 1,000 times, and the latency saved is only what an execution ' +
        'costs over what joining a group costs (the default key is a SHA-256 of the event\'s canonical form).'
    ]
  }
}
