import { describe, expect, it } from 'vitest'
import { InvalidOptionError, UnknownOptionError, type StopReason, type Supervised } from '../../src/index'
import { backoffDelay, isRestarted, readChildSpec, type RestartType } from '../../src/supervisor/childSpec'

// What a child spec means once checked: its defaults (OTP's: permanent, 5000 ms
// for a worker, infinity for a supervisor), and the option each bad value is
// blamed on, with what it should have been.

const start = (): Supervised => {
  throw new Error('never started here')
}

function refusal(spec: unknown, fallbackId?: () => string): InvalidOptionError {
  try {
    readChildSpec(spec, fallbackId)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return error as InvalidOptionError
  }
  throw new Error('expected the spec to be refused')
}

describe('a child spec, checked', () => {
  it("takes OTP's defaults: permanent, a worker, 5000 ms to shut down, not significant, no backoff", () => {
    expect(readChildSpec({ id: 'w', start }, undefined)).toEqual({
      id: 'w',
      start,
      restart: 'permanent',
      shutdownMs: 5000,
      type: 'worker',
      significant: false,
      backoff: undefined
    })
  })

  it("a supervisor child waits for its subtree by default ('infinity'), a worker 5000 ms", () => {
    expect(readChildSpec({ id: 's', start, type: 'supervisor' }, undefined).shutdownMs).toBe(Infinity)
    expect(readChildSpec({ id: 'w', start, type: 'worker' }, undefined).shutdownMs).toBe(5000)
  })

  it("reads shutdown: 'brutal' is 0, 'infinity' is Infinity, ms as given (0 included)", () => {
    const shutdownOf = (shutdown: unknown) => readChildSpec({ id: 'x', start, shutdown }, undefined).shutdownMs
    expect(shutdownOf('brutal')).toBe(0)
    expect(shutdownOf('infinity')).toBe(Infinity)
    expect(shutdownOf(0)).toBe(0)
    expect(shutdownOf(250)).toBe(250)
  })

  it('accepts every option at once, and keeps what it was given', () => {
    const random = () => 0.5
    const backoff = { initialMs: 10, maxMs: 20, factor: 3, jitter: 0.5, resetAfterMs: 7, random }
    const config = readChildSpec(
      { id: 'all', start, restart: 'transient', shutdown: 'brutal', type: 'supervisor', significant: true, backoff },
      undefined
    )
    expect(config).toEqual({ id: 'all', start, restart: 'transient', shutdownMs: 0, type: 'supervisor', significant: true, backoff })
  })

  it('a significant child may be transient or temporary', () => {
    expect(readChildSpec({ id: 't', start, restart: 'transient', significant: true }, undefined).significant).toBe(true)
    expect(readChildSpec({ id: 't', start, restart: 'temporary', significant: true }, undefined).significant).toBe(true)
  })

  it("names a child without an id by the dynamic supervisor's fallback, and only then", () => {
    let n = 0
    const fallback = () => `child-${++n}`
    expect(readChildSpec({ start }, fallback).id).toBe('child-1')
    expect(readChildSpec({ id: 'mine', start }, fallback).id).toBe('mine')
    expect(n).toBe(1)
  })

  it('fills in a backoff: 100 ms doubling to 30 s, 20% jitter, reset after the cap, Math.random', () => {
    expect(readChildSpec({ id: 'b', start, backoff: {} }, undefined).backoff).toEqual({
      initialMs: 100,
      maxMs: 30_000,
      factor: 2,
      jitter: 0.2,
      resetAfterMs: 30_000,
      random: Math.random
    })
    // resetAfterMs follows the cap it was given.
    expect(readChildSpec({ id: 'b', start, backoff: { maxMs: 500 } }, undefined).backoff?.resetAfterMs).toBe(500)
  })

  it('takes the edges of each backoff range', () => {
    const backoff = readChildSpec({ id: 'b', start, backoff: { initialMs: 0, maxMs: 0, factor: 1, jitter: 0, resetAfterMs: 0 } }, undefined).backoff
    expect(backoff).toMatchObject({ initialMs: 0, maxMs: 0, factor: 1, jitter: 0, resetAfterMs: 0 })
    expect(readChildSpec({ id: 'b', start, backoff: { initialMs: 50, maxMs: 50, jitter: 1 } }, undefined).backoff).toMatchObject({ maxMs: 50, jitter: 1 })
  })

  it.each([
    ['no id', { start }, 'id', /a non-empty string/],
    ['an empty id', { id: '', start }, 'id', /a non-empty string/],
    ['a numeric id', { id: 7, start }, 'id', /a non-empty string/],
    ['no start', { id: 'x' }, 'x.start', /a function that starts the child/],
    ['an unknown restart type', { id: 'x', start, restart: 'sometimes' }, 'x.restart', /one of permanent, transient, temporary/],
    ['an unknown type', { id: 'x', start, type: 'thread' }, 'x.type', /'worker' or 'supervisor'/],
    ['a significant that is not a boolean', { id: 'x', start, restart: 'transient', significant: 'yes' }, 'x.significant', /a boolean/],
    ['a significant permanent child', { id: 'x', start, significant: true }, 'x.significant', /false for a permanent child/],
    ['a negative shutdown', { id: 'x', start, shutdown: -1 }, 'x.shutdown', /ms >= 0, 'brutal' or 'infinity'/],
    ['a shutdown of Infinity as a number', { id: 'x', start, shutdown: Infinity }, 'x.shutdown', /ms >= 0/],
    ['a NaN shutdown', { id: 'x', start, shutdown: Number.NaN }, 'x.shutdown', /ms >= 0/],
    ['a shutdown in a string', { id: 'x', start, shutdown: '100' }, 'x.shutdown', /ms >= 0/],
    ['a backoff that is not an object', { id: 'x', start, backoff: 100 }, 'x.backoff', /an object/],
    ['a negative initialMs', { id: 'x', start, backoff: { initialMs: -1 } }, 'x.backoff.initialMs', /a finite number of ms >= 0/],
    ['an infinite initialMs', { id: 'x', start, backoff: { initialMs: Infinity } }, 'x.backoff.initialMs', /finite/],
    ['an initialMs in a string', { id: 'x', start, backoff: { initialMs: '1' } }, 'x.backoff.initialMs', /finite/],
    ['a maxMs below initialMs', { id: 'x', start, backoff: { initialMs: 100, maxMs: 99 } }, 'x.backoff.maxMs', /a finite number of ms >= initialMs/],
    ['an infinite maxMs', { id: 'x', start, backoff: { maxMs: Infinity } }, 'x.backoff.maxMs', /finite/],
    ['a factor below 1', { id: 'x', start, backoff: { factor: 0.5 } }, 'x.backoff.factor', /a number >= 1/],
    ['an infinite factor', { id: 'x', start, backoff: { factor: Infinity } }, 'x.backoff.factor', /a number >= 1/],
    ['a negative jitter', { id: 'x', start, backoff: { jitter: -0.1 } }, 'x.backoff.jitter', /a number from 0 to 1/],
    ['a jitter above 1', { id: 'x', start, backoff: { jitter: 1.1 } }, 'x.backoff.jitter', /a number from 0 to 1/],
    ['a negative resetAfterMs', { id: 'x', start, backoff: { resetAfterMs: -1 } }, 'x.backoff.resetAfterMs', /a finite number of ms >= 0/],
    ['an infinite resetAfterMs', { id: 'x', start, backoff: { resetAfterMs: Infinity } }, 'x.backoff.resetAfterMs', /finite/],
    ['a random that is not a function', { id: 'x', start, backoff: { random: 0.5 } }, 'x.backoff.random', /a function/]
  ])('refuses %s, naming the option and what it must be', (_, spec, option, expected) => {
    const error = refusal(spec)
    expect(error.option).toBe(option)
    expect(error.message).toMatch(expected)
  })

  it('refuses an option a child spec does not have', () => {
    expect(() => readChildSpec({ id: 'x', start, restarts: 3 }, undefined)).toThrow(UnknownOptionError)
  })
})

describe('restart types (OTP do_restart)', () => {
  const reasons: StopReason[] = [{ kind: 'normal', output: undefined }, { kind: 'shutdown' }, { kind: 'failure', error: new Error('x') as never }]
  it.each([
    ['permanent', [true, true, true]],
    ['transient', [false, false, true]],
    ['temporary', [false, false, false]]
  ] as [RestartType, boolean[]][])('%s: normal, shutdown, failure', (type, restarted) => {
    expect(reasons.map((reason) => isRestarted(type, reason))).toEqual(restarted)
  })
})

describe('backoff delays', () => {
  const backoff = { initialMs: 100, maxMs: 150, factor: 2, jitter: 0.2, resetAfterMs: 0 }

  it('spread the capped delay: at the cap, the low end of the jitter is below the cap', () => {
    expect(backoffDelay({ ...backoff, random: () => 0 }, 3)).toBe(120)
  })

  it('are never negative, whatever the random source returns', () => {
    expect(backoffDelay({ ...backoff, jitter: 1, random: () => -1 }, 0)).toBe(0)
  })
})
