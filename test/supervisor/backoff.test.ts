import { describe, expect, it } from 'vitest'
import { startSupervisor, type Supervisor } from '../../src/index'
import { backoffDelay } from '../../src/supervisor/childSpec'
import { childOf, exits, recorded } from '../support/children'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const running = stoppedAfterEach<Supervisor>()

const exited = (sup: Supervisor) => new Promise((resolve) => sup.once('childExit', resolve))
const restarted = (sup: Supervisor) => new Promise((resolve) => sup.once('restart', resolve))

describe('restart backoff', () => {
  it('grows exponentially up to its cap', () => {
    const b = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0, resetAfterMs: 1000, random: () => 0 }
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(b, n))).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('spreads each delay by its jitter, never past the cap', () => {
    const at = (random: number) => backoffDelay({ initialMs: 100, maxMs: 150, factor: 2, jitter: 0.2, resetAfterMs: 0, random: () => random }, 0)
    expect([at(0), at(0.5), at(1)]).toEqual([80, 100, 120])
    expect(backoffDelay({ initialMs: 100, maxMs: 150, factor: 2, jitter: 0.2, resetAfterMs: 0, random: () => 1 }, 3)).toBe(150)
  })

  it('waits before each restart of a child that keeps failing, and starts over once it stayed up', async () => {
    const clock = new ManualClock()
    const log: string[] = []
    const backoff = { initialMs: 100, maxMs: 400, factor: 2, jitter: 0, resetAfterMs: 400 }
    const sup = await startSupervisor({ clock, maxRestarts: 100, children: [recorded('device', log, { backoff })] })
    running.push(sup)

    for (const delay of [100, 200, 400, 400]) {
      const exit = exited(sup)
      exits.failure(childOf(sup, 'device'))
      await exit
      clock.advance(delay - 1)
      await new Promise((resolve) => setImmediate(resolve))
      expect(sup.whichChildren()[0]?.status).toBe('restarting')
      const up = restarted(sup)
      clock.advance(1)
      await up
      expect(sup.whichChildren()[0]?.status).toBe('running')
    }

    clock.advance(400) // it stayed up long enough: the next restart is quick again
    const exit = exited(sup)
    exits.failure(childOf(sup, 'device'))
    await exit
    const up = restarted(sup)
    clock.advance(100)
    await up
    expect(log.filter((e) => e === 'start device')).toHaveLength(6)
  })
})
