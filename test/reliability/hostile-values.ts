/**
 * Sends a branch whose logic keeps (part of) its events values a hostile
 * caller would: JSON nested 8,000 and 100,000 levels deep, a getter that
 * throws, a Proxy whose ownKeys trap throws; with each keeper (memory,
 * snapshot, journal), by call and by cast. Prints one JSON report line.
 *
 * Run in a process of its own (`hostile.test.ts`): an exception that escaped
 * to the event loop would end it with exit code 1 and no report, which is
 * what issue 15 found (the keeper's freeze threw inside xstate's transition,
 * and xstate rethrew it out of band).
 */
import { fromTransition } from 'xstate'
import { call, cast, KeepsakeError, MemoryStore, startBranch } from '../../src/index'

type Kept = { readonly last?: unknown; readonly count: number }
const keeping = fromTransition(
  (state: Kept, e: { type: 'put'; value: unknown } | { type: 'inc' } | { type: 'get' }): Kept =>
    e.type === 'put' ? { last: e.value, count: state.count } : e.type === 'inc' ? { ...state, count: state.count + 1 } : state,
  { count: 0 }
)

const nested = (levels: number) => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels)) as unknown
/** Made fresh for each case, as a caller would send a new one. */
const HOSTILE_VALUES: Record<string, () => unknown> = {
  'JSON 8,000 levels deep': () => nested(8000),
  'JSON 100,000 levels deep': () => JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)),
  'a getter that throws': () => Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('hostile getter') } }),
  'a Proxy whose ownKeys throws': () => new Proxy({}, { ownKeys: () => { throw new Error('hostile ownKeys') } })
}
const KEEPERS = ['memory', 'snapshot', 'journal'] as const

export interface HostileOutcome {
  readonly keeper: (typeof KEEPERS)[number]
  readonly value: string
  /** What the call sending it got: 'resolved', or the error's class and its cause's. */
  readonly call: string
  /** What the cast's `crash` event carried ('none' if it was kept). */
  readonly cast: string
  /** The state's count after one `inc` sent after each: 2 if the branch kept answering. */
  readonly after: number
  readonly status: string
}

const describeError = (error: unknown) =>
  error instanceof KeepsakeError ? `${error.name}${error.cause instanceof Error ? `(${error.cause.name})` : ''}` : `untyped ${String(error)}`

async function runCase(keeper: (typeof KEEPERS)[number], value: string, make: () => unknown, n: number): Promise<HostileOutcome> {
  const durable = keeper === 'memory' ? undefined : { store: new MemoryStore(), mode: keeper, id: `hostile-${n}` }
  const branch = await startBranch({ logic: keeping, durable })
  const outcome = await call(branch, { type: 'put', value: make() }).then(() => 'resolved', describeError)
  await call(branch, { type: 'inc' })
  const crashed = new Promise<string>((resolve) => branch.once('crash', ({ error }) => resolve(describeError(error))))
  cast(branch, { type: 'put', value: make() })
  // A durable branch whose write was refused reads its state back from the store first.
  const after = (await call(branch, { type: 'inc' }, { timeout: 10_000 })) as Kept
  const castOutcome = await Promise.race([crashed, Promise.resolve('none')])
  const status = branch.status
  await branch.stop()
  return { keeper, value, call: outcome, cast: castOutcome, after: after.count, status }
}

const outcomes: HostileOutcome[] = []
let n = 0
for (const keeper of KEEPERS) {
  for (const [value, make] of Object.entries(HOSTILE_VALUES)) outcomes.push(await runCase(keeper, value, make, n++))
}
// Anything xstate rethrows out of band does so from a timer: let those run before reporting.
await new Promise((resolve) => setTimeout(resolve, 0))
console.log(JSON.stringify(outcomes))
