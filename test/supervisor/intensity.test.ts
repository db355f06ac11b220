import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import {
  BranchStoppedError,
  call,
  callAll,
  cast,
  InvalidOptionError,
  send,
  RestartIntensityExceeded,
  startBranch,
  type AnyBranch,
  type StopReason
} from '../../src/index'
import { readIntensity, recordRestart } from '../../src/supervisor/intensity'
import { counterMachine } from '../support/logics'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

describe('recordRestart (the sliding window)', () => {
  const intensity = { maxRestarts: 3, maxSeconds: 5 }

  it('allows maxRestarts restarts within the window and refuses one more', () => {
    let window: number[] = []
    const outcomes = [0, 1000, 2000, 3000].map((now) => {
      const r = recordRestart(window, now, intensity)
      window = r.restarts
      return r.exceeded
    })
    expect(outcomes).toEqual([false, false, false, true])
  })

  it('forgets restarts older than the window', () => {
    const r = recordRestart([0, 1000, 2000], 6500, intensity)
    expect(r.restarts).toEqual([2000, 6500])
    expect(r.exceeded).toBe(false)
  })

  it('with maxRestarts 0, the first restart exceeds it', () => {
    expect(recordRestart([], 0, { maxRestarts: 0, maxSeconds: 1 }).exceeded).toBe(true)
  })

  it.each([
    [{ maxRestarts: -1 }, 'restart.maxRestarts'],
    [{ maxRestarts: 1.5 }, 'restart.maxRestarts'],
    [{ maxSeconds: 0 }, 'restart.maxSeconds'],
    [{ maxSeconds: Infinity }, 'restart.maxSeconds'],
    ['3 in 5', 'restart']
  ])('rejects %j naming %s', (value, option) => {
    const error = (() => {
      try {
        readIntensity(value, 'restart', intensity)
      } catch (e) {
        return e
      }
    })() as InvalidOptionError
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.option).toBe(option)
  })
})

describe('restart intensity of a branch', () => {
  it('survives maxRestarts crashes inside the window; one more stops it with a typed reason', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: counterMachine, clock, intensity: { maxRestarts: 3, maxSeconds: 5 } })
    started.push(branch)
    const stops: StopReason[] = []
    branch.on('stop', (reason) => stops.push(reason))
    cast(branch, { type: 'inc' })
    for (let i = 0; i < 3; i++) {
      branch.kill()
      clock.advance(1000)
    }
    expect(branch.status).toBe('running')
    expect(await call(branch, { type: 'get' })).toBe(1)

    branch.kill()
    expect(branch.status).toBe('stopped')
    expect(stops).toHaveLength(1)
    const reason = stops[0] as Extract<StopReason, { kind: 'failure' }>
    expect(reason.kind).toBe('failure')
    expect(reason.error).toBeInstanceOf(RestartIntensityExceeded)
    expect(reason.error.message).toMatch(/more than 3 restarts within 5 s/)
    await expect(call(branch, { type: 'get' })).rejects.toBeInstanceOf(BranchStoppedError)
    expect(branch.state()).toEqual({ count: 1 })
  })

  it('survives any number of crashes spread beyond the window', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: counterMachine, clock, intensity: { maxRestarts: 2, maxSeconds: 1 } })
    started.push(branch)
    for (let i = 0; i < 20; i++) {
      cast(branch, { type: 'inc' })
      branch.kill()
      clock.advance(600)
    }
    expect(await call(branch, { type: 'get' })).toBe(20)
    expect(branch.children()[1]).toMatchObject({ restarts: 20, status: 'running' })
  })

  it('runs the initial context and input on the first start only', async () => {
    let inits = 0
    const logic = fromTransition(
      (n: number, e: { type: 'inc' }) => (e.type === 'inc' ? n + 1 : n),
      ({ input }: { input: number }) => {
        inits++
        return input
      }
    )
    const branch = await startBranch({ logic, input: 10 })
    started.push(branch)
    cast(branch, { type: 'inc' })
    branch.kill()
    branch.kill()
    expect(await call(branch, { type: 'inc' })).toBe(12)
    expect(inits).toBe(1)
  })

  it('issue 15 item 10: after a branch gives up, every path raises the same BranchStoppedError with the RestartIntensityExceeded as cause', async () => {
    let queued: Promise<unknown> | undefined
    const logic = fromTransition((n: number, e: { type: 'inc' | 'boom' }) => {
      if (e.type !== 'boom') return n + 1
      // A call queued behind the message that makes the branch give up.
      queued = call('gives-up', { type: 'inc' }, { reentrant: true }).catch((error: unknown) => error)
      throw new Error('boom')
    }, 0)
    const branch = await startBranch({ logic, name: 'gives-up', intensity: { maxRestarts: 0, maxSeconds: 5 } })
    started.push(branch)
    let given: RestartIntensityExceeded | undefined
    branch.on('stop', (reason) => {
      if (reason.kind === 'failure') given = reason.error as RestartIntensityExceeded
    })
    cast(branch, { type: 'boom' })
    expect(given).toBeInstanceOf(RestartIntensityExceeded)

    const thrown = (run: () => unknown): unknown => {
      try {
        run()
      } catch (error) {
        return error
      }
      return undefined
    }
    const errors = {
      'queued at the stop': await queued,
      'call after': await call(branch, { type: 'inc' }).catch((e: unknown) => e),
      'callAll after': await callAll(branch, [{ type: 'inc' }]).catch((e: unknown) => e),
      'cast after': thrown(() => cast(branch, { type: 'inc' })),
      'send after': thrown(() => send(branch, { type: 'inc' })),
      'kill after': thrown(() => branch.kill())
    }
    for (const [path, error] of Object.entries(errors)) {
      expect(error, path).toBeInstanceOf(BranchStoppedError)
      expect((error as BranchStoppedError).cause, path).toBe(given)
      expect((error as Error).message, path).toMatch(/restart intensity exceeded/)
    }
  })
})
