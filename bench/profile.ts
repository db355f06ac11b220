import type { Schedule } from './harness'

/**
 * How much sampling a run does. The full run is sized to finish in a few
 * minutes on a shared 2-core machine; `--quick` is a CI smoke test that only
 * has to prove every benchmark still runs (its numbers are rough).
 */
export interface Profile {
  readonly quick: boolean
  /** Microsecond operations: call, cast, restart with a small state. */
  readonly fast: Schedule
  /** Millisecond operations: xstate's restore of a 1 MB snapshot. */
  readonly slow: Schedule
  /** Calls while a population of branches is alive (each round may regrow it). */
  readonly population: Schedule
  /** How many branches to start in the start-time lines. */
  readonly startCounts: readonly number[]
  /** Rounds of each start-time line (each round starts the whole count). */
  readonly startRounds: number
  /** Branches (and bare actors) alive when heap per branch is measured. */
  readonly memoryCount: number
}

const full: Profile = {
  quick: false,
  fast: { rounds: 6, time: 300, iterations: 200, warmupTime: 100 },
  slow: { rounds: 6, time: 400, iterations: 10, warmupTime: 50 },
  population: { rounds: 4, time: 300, iterations: 200, warmupTime: 100 },
  startCounts: [10_000, 100_000],
  startRounds: 3,
  memoryCount: 100_000
}

const quick: Profile = {
  quick: true,
  fast: { rounds: 2, time: 60, iterations: 50, warmupTime: 20 },
  slow: { rounds: 2, time: 60, iterations: 3, warmupTime: 0 },
  population: { rounds: 2, time: 60, iterations: 50, warmupTime: 20 },
  startCounts: [10_000],
  startRounds: 1,
  memoryCount: 10_000
}

export function readProfile(args: readonly string[]): Profile {
  return args.includes('--quick') ? quick : full
}
