import { describe, expect, it } from 'vitest'
import { MAX_TIMER_MS, withLongTimers } from '../../src/shared/clock'
import { NodeLikeClock } from '../support/ManualClock'

describe('withLongTimers: timers of any length on a clock whose own stop at 2^31-1 ms', () => {
  it('fires a timer of 3 x 2^31-1 ms + 5 once, when due', () => {
    const base = new NodeLikeClock()
    const clock = withLongTimers(base)
    const ms = 3 * MAX_TIMER_MS + 5
    const fired: number[] = []
    clock.setTimeout(() => fired.push(base.now()), ms)
    base.advance(ms - 1)
    expect(fired).toEqual([])
    base.advance(10 * MAX_TIMER_MS)
    expect(fired).toEqual([ms])
    expect(base.overflows).toBe(0)
  })

  it('clearTimeout cancels a long timer at any link of its chain', () => {
    const base = new NodeLikeClock()
    const clock = withLongTimers(base)
    let fired = false
    const handle = clock.setTimeout(() => (fired = true), 2 * MAX_TIMER_MS + 1)
    base.advance(MAX_TIMER_MS + 1) // the first link fired, the second is pending
    clock.clearTimeout(handle)
    base.advance(5 * MAX_TIMER_MS)
    expect(fired).toBe(false)
    expect(base.pending).toBe(0)
  })

  it('leaves short timers to the clock, and Infinity never fires', () => {
    const base = new NodeLikeClock()
    const clock = withLongTimers(base)
    const order: string[] = []
    const short = clock.setTimeout(() => order.push('short'), MAX_TIMER_MS)
    clock.setTimeout(() => order.push('never'), Infinity)
    clock.setTimeout(() => order.push('now'), 0)
    base.advance(100 * MAX_TIMER_MS)
    expect(order).toEqual(['now', 'short'])
    expect(typeof short).toBe('number') // the clock's own handle
    expect(withLongTimers(clock)).toBe(clock)
    expect(withLongTimers(base)).toBe(clock)
  })
})
