import { describe, expect, it } from 'vitest'
import { REASONS_COUNTED, REFUSAL_PERIOD_MS, REFUSALS_LOGGED, RefusalLog } from '../../src/cluster/refusals'
import { ManualClock } from '../support/ManualClock'

function harness() {
  const clock = new ManualClock()
  const logged: { details: Record<string, unknown>; message: string }[] = []
  const log = new RefusalLog({ warn: (details, message) => void logged.push({ details, message }) }, clock, 'a')
  return { clock, logged, log }
}

const garbage = (reason = 'it is not UTF-8 JSON') => ({ subject: 'keepsake.c.node.a', bytes: 5, reason })

describe('refused cluster messages are rate-limited to a periodic summary with counts', () => {
  it('20,000 garbage messages give the first few warnings one by one, then one summary counting the rest', () => {
    const { clock, logged, log } = harness()
    for (let i = 0; i < 20_000; i++) log.refused(garbage(i % 2 ? 'it is not a JSON object' : 'it is not UTF-8 JSON'))
    expect(logged).toHaveLength(REFUSALS_LOGGED)
    expect(logged[0]).toEqual({ details: { node: 'a', subject: 'keepsake.c.node.a', bytes: 5, reason: 'it is not UTF-8 JSON' }, message: 'keepsake cluster: refused a message' })

    clock.advance(REFUSAL_PERIOD_MS - 1)
    expect(logged).toHaveLength(REFUSALS_LOGGED)
    clock.advance(1)
    expect(logged).toHaveLength(REFUSALS_LOGGED + 1)
    const summary = logged[REFUSALS_LOGGED]
    expect(summary?.message).toMatch(/refused 19980 more messages within 10 s/)
    expect(summary?.details).toEqual({ node: 'a', refused: 20_000 - REFUSALS_LOGGED, periodMs: REFUSAL_PERIOD_MS, reasons: { 'it is not UTF-8 JSON': 9990, 'it is not a JSON object': 9990 } })
    expect(clock.pending).toBe(0)
  })

  it('a flood that goes on gets one summary per period; a quiet period gets none, and the next refusal is logged at once', () => {
    const { clock, logged, log } = harness()
    for (let period = 0; period < 3; period++) {
      for (let i = 0; i < 1000; i++) log.refused(garbage())
      clock.advance(REFUSAL_PERIOD_MS)
    }
    expect(logged).toHaveLength(3 * (REFUSALS_LOGGED + 1))
    clock.advance(REFUSAL_PERIOD_MS * 5)
    expect(logged).toHaveLength(3 * (REFUSALS_LOGGED + 1))
    log.refused(garbage())
    expect(logged).toHaveLength(3 * (REFUSALS_LOGGED + 1) + 1)
  })

  it('a sender can not grow the summary: distinct reasons past the first few are counted together', () => {
    const { clock, logged, log } = harness()
    for (let i = 0; i < REFUSALS_LOGGED + 500; i++) log.refused(garbage(`unknown kind "k${i}"`))
    clock.advance(REFUSAL_PERIOD_MS)
    const reasons = logged.at(-1)?.details.reasons as Record<string, number>
    expect(Object.keys(reasons)).toHaveLength(REASONS_COUNTED + 1)
    expect(reasons['(other reasons)']).toBe(500 - REASONS_COUNTED)
  })

  it('close (the node stops) logs what the running period counted and leaves no timer', () => {
    const { clock, logged, log } = harness()
    for (let i = 0; i < REFUSALS_LOGGED + 3; i++) log.refused(garbage())
    log.close()
    expect(logged.at(-1)?.details).toMatchObject({ refused: 3 })
    expect(clock.pending).toBe(0)
  })
})
