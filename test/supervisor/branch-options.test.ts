import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, callAll, cast, InvalidLogicError, InvalidOptionError, startBranch, UnknownOptionError } from '../../src/index'
import { readBranchOptions, readClock } from '../../src/supervisor/branchOptions'
import { systemClock } from '../../src/shared/clock'
import { ManualClock } from '../support/ManualClock'
import { logicModule } from '../worker/isolated/support'

// What startBranch's options mean once checked: their defaults, and the option
// each bad value is blamed on, with what it should have been.

const logic = fromTransition((n: number) => n, 0)

function refusal(options: unknown): InvalidOptionError {
  try {
    readBranchOptions(options)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return error as InvalidOptionError
  }
  throw new Error('expected the options to be refused')
}

describe('startBranch options, checked', () => {
  it('take their defaults: 1000 restarts in 10 s, the system clock, never idle, nothing else', () => {
    const config = readBranchOptions({ logic })
    expect(config).toMatchObject({
      logic,
      module: undefined,
      isolated: undefined,
      name: undefined,
      input: undefined,
      intensity: { maxRestarts: 1000, maxSeconds: 10 },
      listener: undefined,
      clock: systemClock,
      durable: undefined,
      grouper: undefined,
      idleTimeout: Infinity,
      inspect: undefined
    })
  })

  it('keep what they were given', () => {
    const grouper = () => 'k'
    const listener = { onStateChange: () => {}, onTerminate: () => {} }
    const inspect = () => {}
    const config = readBranchOptions({ logic, name: 'n', input: { a: 1 }, intensity: { maxRestarts: 2 }, listener, grouper, idleTimeout: 5, inspect })
    expect(config).toMatchObject({ name: 'n', input: { a: 1 }, intensity: { maxRestarts: 2, maxSeconds: 10 }, listener, grouper, idleTimeout: 5, inspect })
    const observer = { next: () => {} }
    expect(readBranchOptions({ logic, inspect: observer }).inspect).toBe(observer)
  })

  it('take an idleTimeout of Infinity (never passivate) as given', () => {
    expect(readBranchOptions({ logic, idleTimeout: Infinity }).idleTimeout).toBe(Infinity)
  })

  it("with isolation, name the logic by module: no logic object here, a runner for the other thread, no inspect", () => {
    const config = readBranchOptions({ logic: logicModule('device'), isolation: 'thread' })
    expect(config.logic).toBeUndefined()
    expect(config.module).toBeDefined()
    expect(config.isolated?.config.mode).toBe('thread')
    const error = refusal({ logic: logicModule('device'), isolation: 'thread', inspect: () => {} })
    expect(error.option).toBe('inspect')
    expect(error.message).toMatch(/absent with isolation \(the actor runs in another thread or process\)/)
  })

  it('without isolation, a logic named by module is loaded and runs in this thread', async () => {
    const branch = await startBranch({ logic: logicModule('counterReducer') })
    try {
      cast(branch, { type: 'inc' })
      expect(await call(branch, { type: 'get' })).toBe(1)
      expect(branch.worker()).toBeDefined() // the actor is here
    } finally {
      await branch.stop()
    }
  })

  it('without isolation, an event may carry what cannot be cloned (a function): cast, call and callAll take it', async () => {
    const applying = fromTransition((n: number, event: { type: 'apply'; fn: (n: number) => number } | { type: 'get' }) => (event.type === 'apply' ? event.fn(n) : n), 1)
    const branch = await startBranch({ logic: applying })
    try {
      cast(branch, { type: 'apply', fn: (n) => n + 1 })
      expect(await call(branch, { type: 'apply', fn: (n) => n * 10 })).toBe(20)
      expect(await callAll(branch, [{ type: 'get' }, { type: 'apply', fn: (n) => n + 3 }])).toBe(23)
    } finally {
      await branch.stop()
    }
  })

  it('that are not an object are blamed as startBranch options', () => {
    expect(refusal('counter').option).toBe('startBranch options')
  })

  it('require a logic', () => {
    expect(() => readBranchOptions({})).toThrow(InvalidLogicError)
    expect(() => readBranchOptions({ logic: { type: 'counter' } })).toThrow(InvalidLogicError)
  })

  it("name the new option for one renamed since 0.1 (restart is now intensity)", () => {
    let error: unknown
    try {
      readBranchOptions({ logic, restart: { maxRestarts: 1 } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UnknownOptionError)
    expect((error as UnknownOptionError).suggestion).toBe('intensity')
    expect(() => readBranchOptions({ logic, idleTimout: 5 })).toThrow(/in startBranch options: did you mean "idleTimeout"\?/)
  })

  it('accept each of their options by name', () => {
    expect(() =>
      readBranchOptions({ logic, name: 'n', input: 1, intensity: {}, listener: {}, clock: new ManualClock(), grouper: () => 'k', idleTimeout: 1, isolation: 'none', inspect: () => {} })
    ).not.toThrow()
  })

  it.each([
    ['an empty name', { name: '' }, 'name', /a non-empty string/],
    ['a numeric name', { name: 3 }, 'name', /a non-empty string/],
    ['a grouper that is not a function', { grouper: 'type' }, 'grouper', /a function \(event\) => string \| undefined/],
    ['a listener onStateChange that is not a function', { listener: { onStateChange: 1 } }, 'listener.onStateChange', /a function/],
    ['a listener onTerminate that is not a function', { listener: { onTerminate: 'log' } }, 'listener.onTerminate', /a function/],
    ['a listener that is not an object', { listener: 5 }, 'listener', /an object/],
    ['an inspect that is a number', { inspect: 5 }, 'inspect', /an xstate inspection observer/],
    ['an inspect that is null', { inspect: null }, 'inspect', /an xstate inspection observer/],
    ['a negative idleTimeout', { idleTimeout: -1 }, 'idleTimeout', /./],
    ['a negative maxRestarts', { intensity: { maxRestarts: -1 } }, 'intensity.maxRestarts', /an integer >= 0/]
  ])('refuse %s, naming the option and what it must be', (_, options, option, expected) => {
    const error = refusal({ logic, ...options })
    expect(error.option).toBe(option)
    expect(error.message).toMatch(expected)
  })
})

describe('a clock option', () => {
  it('defaults to the system clock', () => {
    expect(readClock(undefined)).toBe(systemClock)
  })

  it('is used with its methods on a prototype (a class instance), timers going through it', () => {
    const clock = new ManualClock()
    const read = readClock(clock)
    let fired = 0
    read.setTimeout(() => fired++, 10)
    clock.advance(10)
    expect(fired).toBe(1)
    expect(read.now()).toBe(10)
  })

  it.each([
    ['a number', 5, 'clock', /an object/],
    ['null', null, 'clock', /an object/],
    ['an object without now', { setTimeout, clearTimeout }, 'clock.now', /a function/],
    ['an object without setTimeout', { now: (): number => 0, clearTimeout }, 'clock.setTimeout', /a function/],
    ['an object without clearTimeout', { now: (): number => 0, setTimeout }, 'clock.clearTimeout', /a function/],
    [
      'an object whose setTimeout getter throws',
      { now: (): number => 0, get setTimeout(): never { throw new Error('trap') }, clearTimeout },
      'clock.setTimeout',
      /a function; got undefined/
    ]
  ])('is refused when it is %s, naming the missing method', (_, clock, option, expected) => {
    let error: unknown
    try {
      readClock(clock)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
    expect((error as Error).message).toMatch(expected)
  })
})
