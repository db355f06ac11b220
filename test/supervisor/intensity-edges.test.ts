import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/index'
import { intensityUse, readIntensity, recordRestart } from '../../src/supervisor/intensity'

// The edges of the restart window, as OTP's supervisor draws them: a restart
// exactly `maxSeconds` ago is still inside it (Now - Then =< Period), one a
// millisecond older is not; and the intensity is exceeded by the restart past
// `maxRestarts`, not at it.

const intensity = { maxRestarts: 2, maxSeconds: 5 }

describe('recordRestart at the window edge', () => {
  it('keeps a restart exactly maxSeconds old, and drops one a millisecond older', () => {
    expect(recordRestart([0], 5000, intensity).restarts).toEqual([0, 5000])
    expect(recordRestart([0], 5001, intensity).restarts).toEqual([5001])
    expect(recordRestart([0, 1, 2], 5001, intensity).restarts).toEqual([1, 2, 5001])
  })

  it('is exceeded by the restart after maxRestarts inside the window, counting the one at the edge', () => {
    expect(recordRestart([0], 5000, intensity).exceeded).toBe(false)
    expect(recordRestart([0, 4000], 5000, intensity).exceeded).toBe(true)
    expect(recordRestart([0, 4000], 5001, intensity).exceeded).toBe(false)
  })

  it('leaves the window it was given as it was', () => {
    const window = [0, 1000]
    recordRestart(window, 9000, intensity)
    expect(window).toEqual([0, 1000])
  })
})

describe('intensityUse at the window edge', () => {
  it('counts a restart exactly maxSeconds old, not one a millisecond older, and gives the limit', () => {
    expect(intensityUse([0, 1000], 5000, intensity)).toEqual({ inWindow: 2, maxRestarts: 2, maxSeconds: 5 })
    expect(intensityUse([0, 1000], 5001, intensity)).toEqual({ inWindow: 1, maxRestarts: 2, maxSeconds: 5 })
    expect(intensityUse([], 5001, intensity)).toEqual({ inWindow: 0, maxRestarts: 2, maxSeconds: 5 })
  })
})

describe('readIntensity', () => {
  const defaults = { maxRestarts: 3, maxSeconds: 5 }

  it('takes each field over the defaults, with 0 restarts and a fraction of a second allowed', () => {
    expect(readIntensity(undefined, 'restart', defaults)).toEqual(defaults)
    expect(readIntensity({}, 'restart', defaults)).toEqual(defaults)
    expect(readIntensity({ maxRestarts: 0 }, 'restart', defaults)).toEqual({ maxRestarts: 0, maxSeconds: 5 })
    expect(readIntensity({ maxSeconds: 0.001 }, 'restart', defaults)).toEqual({ maxRestarts: 3, maxSeconds: 0.001 })
  })

  it.each([
    [null, 'restart', 'an object { maxRestarts?, maxSeconds? }'],
    [[1, 5], 'restart', 'an object { maxRestarts?, maxSeconds? }'],
    [{ maxRestarts: '3' }, 'restart.maxRestarts', 'an integer >= 0'],
    [{ maxSeconds: '5' }, 'restart.maxSeconds', 'a finite number of seconds > 0'],
    [{ maxSeconds: -1 }, 'restart.maxSeconds', 'a finite number of seconds > 0']
  ])('rejects %j, naming %s and what it must be', (value, option, expected) => {
    let error: unknown
    try {
      readIntensity(value, 'restart', defaults)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
    expect((error as Error).message).toContain(`must be ${expected};`)
  })
})
