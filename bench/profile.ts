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
  /** Durable writes: a sample is one write to SQLite, or one batch of them (~0.01-10 ms). */
  readonly durableWrites: Schedule
  /** Journal lengths recovered (events); the target is for 1,000,000. */
  readonly journalLengths: readonly number[]
  /** Recoveries: a sample is one recovery (~1 ms with a snapshot, seconds for 1M events without). */
  readonly recovery: Schedule
  /** Placement's simulation: nodes, keys (issue 21: 100 and 1,000,000), and keys of the sparse case (10 per node). */
  readonly placement: { readonly nodes: number; readonly keys: number; readonly sparseKeys: number }
}

const full: Profile = {
  quick: false,
  fast: { rounds: 6, time: 300, iterations: 200, warmupTime: 100 },
  slow: { rounds: 6, time: 400, iterations: 10, warmupTime: 50 },
  population: { rounds: 4, time: 300, iterations: 200, warmupTime: 100 },
  startCounts: [10_000, 100_000],
  startRounds: 3,
  memoryCount: 100_000,
  durableWrites: { rounds: 4, time: 250, iterations: 20, warmupTime: 50 },
  journalLengths: [10_000, 100_000, 1_000_000],
  recovery: { rounds: 3, time: 500, iterations: 1, warmupTime: 0 },
  placement: { nodes: 100, keys: 1_000_000, sparseKeys: 1_000 }
}

const quick: Profile = {
  quick: true,
  fast: { rounds: 2, time: 60, iterations: 50, warmupTime: 20 },
  slow: { rounds: 2, time: 60, iterations: 3, warmupTime: 0 },
  population: { rounds: 2, time: 60, iterations: 50, warmupTime: 20 },
  startCounts: [10_000],
  startRounds: 1,
  memoryCount: 10_000,
  durableWrites: { rounds: 2, time: 40, iterations: 5, warmupTime: 0 },
  journalLengths: [10_000, 100_000],
  recovery: { rounds: 1, time: 50, iterations: 1, warmupTime: 0 },
  placement: { nodes: 20, keys: 50_000, sparseKeys: 200 }
}

export function readProfile(args: readonly string[]): Profile {
  return args.includes('--quick') ? quick : full
}
