import { InvalidOptionError } from '../shared/errors'

/** How many restarts (`maxRestarts`) a supervisor tolerates within `maxSeconds`. */
export interface RestartIntensity {
  readonly maxRestarts: number
  readonly maxSeconds: number
}

/**
 * Records a restart at `now` (ms) in the sliding window of recent restarts
 * (oldest first), dropping those older than the window, and says whether the
 * intensity is now exceeded: more than `maxRestarts` restarts within
 * `maxSeconds`, as OTP's supervisor counts them.
 */
export function recordRestart(
  restarts: readonly number[],
  now: number,
  intensity: RestartIntensity
): { restarts: number[]; exceeded: boolean } {
  const threshold = now - intensity.maxSeconds * 1000
  const window = restarts.filter((at) => at >= threshold)
  window.push(now)
  return { restarts: window, exceeded: window.length > intensity.maxRestarts }
}

/** Restarts within `intensity` at `now`, and the limit: how much intensity is left (for trees and inspectors). */
export interface IntensityUse extends RestartIntensity {
  readonly inWindow: number
}

/** Counts the restarts of a window (oldest first) still inside it at `now`. */
export function intensityUse(restarts: readonly number[], now: number, intensity: RestartIntensity): IntensityUse {
  const threshold = now - intensity.maxSeconds * 1000
  let inWindow = 0
  for (const at of restarts) if (at >= threshold) inWindow++
  return { inWindow, maxRestarts: intensity.maxRestarts, maxSeconds: intensity.maxSeconds }
}

/**
 * Reads a `{ maxRestarts, maxSeconds }` option over `defaults`: `maxRestarts`
 * an integer >= 0 (0 means never restart), `maxSeconds` a finite number > 0.
 */
export function readIntensity(value: unknown, option: string, defaults: RestartIntensity): RestartIntensity {
  if (value === undefined) return defaults
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, 'an object { maxRestarts?, maxSeconds? }', value)
  }
  const { maxRestarts = defaults.maxRestarts, maxSeconds = defaults.maxSeconds } = value as Record<string, unknown>
  // Number.isInteger and Number.isFinite are false for anything but a number: no typeof needed.
  if (!Number.isInteger(maxRestarts) || (maxRestarts as number) < 0) {
    throw new InvalidOptionError(`${option}.maxRestarts`, 'an integer >= 0', maxRestarts)
  }
  if (!Number.isFinite(maxSeconds) || (maxSeconds as number) <= 0) {
    throw new InvalidOptionError(`${option}.maxSeconds`, 'a finite number of seconds > 0', maxSeconds)
  }
  return { maxRestarts: maxRestarts as number, maxSeconds: maxSeconds as number }
}
