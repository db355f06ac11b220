import { describe, expect, it } from 'vitest'
import { startBranch, type AnyBranch } from '../../src/index'
import { counterReducer } from '../support/logics'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// A cast with a delay waits on the branch's clock. The branch holds the
// timer only while it is pending: a cast that fired is forgotten (a
// long-lived branch with many delayed casts holds nothing for them), and a
// stop drops the ones still waiting.

const started = stoppedAfterEach<AnyBranch>()

/** A manual clock that records which handles were cleared. */
class RecordingClock extends ManualClock {
  readonly fired = new Set<unknown>()
  readonly cleared: unknown[] = []

  override setTimeout(fn: () => void, ms: number): unknown {
    const handle = super.setTimeout(() => {
      this.fired.add(handle)
      fn()
    }, ms)
    return handle
  }

  override clearTimeout(handle: unknown): void {
    this.cleared.push(handle)
    super.clearTimeout(handle)
  }
}

describe('delayed casts', () => {
  it('arrive after their delay, not before', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: counterReducer, clock })
    started.push(branch)
    branch.cast({ type: 'inc' }, { delay: 100 })
    clock.advance(99)
    expect(branch.state()).toBe(0)
    clock.advance(1)
    expect(branch.state()).toBe(1)
  })

  it('a stop drops the ones still waiting and leaves no timer', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: counterReducer, clock })
    branch.cast({ type: 'inc' }, { delay: 100 })
    branch.cast({ type: 'inc' }, { delay: 200 })
    await branch.stop()
    expect(clock.pending).toBe(0)
    clock.advance(1000)
    expect(branch.state()).toBe(0)
  })

  it('one that fired is forgotten: a stop clears only the timers still pending', async () => {
    const clock = new RecordingClock()
    const branch = await startBranch({ logic: counterReducer, clock })
    for (let i = 1; i <= 3; i++) branch.cast({ type: 'inc' }, { delay: i * 10 })
    branch.cast({ type: 'inc' }, { delay: 1000 })
    clock.advance(30)
    expect(branch.state()).toBe(3)
    clock.cleared.length = 0
    await branch.stop()
    expect(clock.cleared.filter((handle) => clock.fired.has(handle))).toEqual([])
    expect(clock.pending).toBe(0)
    expect(branch.state()).toBe(3)
  })
})
