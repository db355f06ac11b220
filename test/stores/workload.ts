import type { AppendRequest, StoredEvent } from '../../src/stores/KeeperStore'
import { prng } from '../support/prng'

/**
 * A deterministic stream of appends for the crash tests: a writer process
 * performs it and acknowledges each step; the test regenerates the same
 * stream from the seed to know exactly what each step wrote.
 */

/** One step: a single append (one request) or a batch across two branches. */
export type Step = AppendRequest[]

/** The payload every workload event carries: which step and which event of it wrote it. */
export interface WorkloadPayload {
  step: number
  index: number
  filler: string
}

const IDS = ['alpha', 'beta', 'gamma']

/** The seeded PRNG the workload draws from (re-exported for the tests that replay it). */
export { prng as random } from '../support/prng'

/** The workload for `seed`: an endless stream of steps. */
export function* workload(seed: number): Generator<Step> {
  const next = prng(seed)
  const pick = (n: number) => Math.floor(next() * n)
  const lastSeq = new Map(IDS.map((id) => [id, 0]))
  for (let step = 0; ; step++) {
    const first = pick(IDS.length)
    const ids = next() < 0.3 ? [IDS[first]!, IDS[(first + 1 + pick(IDS.length - 1)) % IDS.length]!] : [IDS[first]!]
    let index = 0
    yield ids.map((id) => {
      const events = Array.from({ length: 1 + pick(3) }, () => {
        const payload: WorkloadPayload = { step, index: index++, filler: 'x'.repeat(pick(200)) }
        return { type: 'step', payload, tags: [id, 'all'], at: step }
      })
      const expectedSeq = lastSeq.get(id)!
      lastSeq.set(id, expectedSeq + events.length)
      return { id, expectedSeq, events }
    })
  }
}

/** The first `count` steps of the workload for `seed`. */
export function firstSteps(seed: number, count: number): Step[] {
  const steps: Step[] = []
  for (const step of workload(seed)) {
    if (steps.length === count) break
    steps.push(step)
  }
  return steps
}

/** What each branch's journal holds after `steps`, as (type, payload) per event. */
export function journalsAfter(steps: readonly Step[]): Record<string, unknown[]> {
  const journals: Record<string, unknown[]> = {}
  for (const step of steps) {
    for (const { id, events } of step) (journals[id] ??= []).push(...events.map((e) => ({ type: e.type, payload: e.payload })))
  }
  return journals
}

/** The stored journals in the same shape as `journalsAfter`. */
export function journalsOf(events: readonly StoredEvent[]): Record<string, unknown[]> {
  const journals: Record<string, unknown[]> = {}
  for (const e of events) (journals[e.id] ??= []).push({ type: e.type, payload: e.payload })
  return journals
}
