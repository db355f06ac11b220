import { Bench } from 'tinybench'

/** One thing to measure. Each call of `fn` is one sample. */
export interface Task {
  readonly name: string
  /** The timed work. Declare `async` so tinybench never calls it just to find out. */
  readonly fn: () => unknown
  readonly async: boolean
  /** Untimed, before this task's turn in every round (e.g. grow a population of branches). */
  readonly before?: () => unknown
  /** Untimed, after this task's turn in every round (e.g. stop what it started). */
  readonly after?: () => unknown
  /** Untimed, before every sample (e.g. swap a branch before it hits its restart intensity). */
  readonly beforeEach?: () => unknown
}

/** How long and how often the tasks of one comparison are sampled. */
export interface Schedule {
  /** Rounds; every round gives each task one turn, in alternating order. */
  readonly rounds: number
  /** ms of sampling per task and round (0: just `iterations` samples). */
  readonly time: number
  /** Minimum samples per task and round. */
  readonly iterations: number
  /** ms of untimed warm-up per task and round (0: none). */
  readonly warmupTime: number
}

type GlobalWithGc = typeof globalThis & { gc?: () => void }

/** True when the process runs with --expose-gc (the bench script passes it). */
export const gcExposed = typeof (globalThis as GlobalWithGc).gc === 'function'

/** A full collection, so one task's garbage is not collected on the next task's clock. */
export function collectGarbage(): void {
  const { gc } = globalThis as GlobalWithGc
  if (gc) {
    gc()
    gc()
  }
}

/**
 * Runs `tasks` round by round with tinybench and pools each task's samples
 * (ms per call of `fn`). The tasks of a comparison share the rounds, and their
 * order flips every round, so drift on a shared machine (another tenant, a
 * frequency change, heap growth) lands on both sides instead of on whichever
 * ran second.
 */
export async function interleave(tasks: readonly Task[], schedule: Schedule): Promise<Map<string, number[]>> {
  const pooled = new Map<string, number[]>(tasks.map((task) => [task.name, []]))
  for (let round = 0; round < schedule.rounds; round++) {
    const order = round % 2 === 0 ? tasks : [...tasks].reverse()
    for (const task of order) {
      const into = pooled.get(task.name) as number[]
      for (const sample of await turn(task, schedule)) into.push(sample)
    }
  }
  return pooled
}

/** One task's turn in a round: its own tinybench run, between its untimed hooks. */
async function turn(task: Task, schedule: Schedule): Promise<readonly number[]> {
  await task.before?.()
  collectGarbage()
  const bench = new Bench({
    time: schedule.time,
    iterations: schedule.iterations,
    warmup: schedule.warmupTime > 0,
    warmupTime: schedule.warmupTime,
    warmupIterations: Math.min(schedule.iterations, 16),
    retainSamples: true,
    throws: true
  })
  bench.add(task.name, task.fn, {
    async: task.async,
    ...(task.beforeEach ? { beforeEach: task.beforeEach as () => void } : {})
  })
  const [ran] = await bench.run()
  await task.after?.()
  const result = ran?.result
  if (result?.state !== 'completed' || !result.latency.samples) {
    throw new Error(`benchmark "${task.name}" did not complete (${result?.state ?? 'no result'})`)
  }
  return result.latency.samples
}
