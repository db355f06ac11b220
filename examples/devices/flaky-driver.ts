/**
 * A simulated driver for a flaky pressure sensor, as a vendor's native SDK
 * would behave: most measurements return a value, some get stuck in a
 * synchronous call that never returns, and some take the whole process down
 * (process.abort() stands in for a segfault). It is named by module in
 * examples/flaky-device.ts, which runs it in a child process.
 */
import { fromTransition } from 'xstate'
import { respond, type Replies } from '../../src/index'

// What each event is answered with (`respond`), declared once: calls are typed by it.
export type DriverEvent =
  | ({ type: 'measure'; seq: number } & Replies<number>)
  | ({ type: 'summary' } & Replies<{ kept: number; mean: number }>)

export interface Readings {
  readonly values: readonly number[]
}

/** What the sensor does on measurement `seq`: deterministic, so every run tells the same story. */
export function behaviour(seq: number): 'value' | 'hang' | 'abort' {
  if (seq % 7 === 3) return 'hang'
  if (seq % 9 === 5) return 'abort'
  return 'value'
}

/** Replies with the value read; `summary` replies with how many were kept and their mean. */
export const flakyDriver = fromTransition((readings: Readings, event: DriverEvent): Readings => {
  if (event.type === 'summary') {
    const { values } = readings
    respond({ kept: values.length, mean: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 })
    return readings
  }
  switch (behaviour(event.seq)) {
    case 'hang':
      for (;;) {
        // the SDK's blocking read never returns
      }
    case 'abort':
      process.abort()
    case 'value': {
      const value = 1000 + ((event.seq * 37) % 20) / 2
      respond(value)
      return { values: [...readings.values, value] }
    }
  }
}, { values: [] } as Readings)
