import { describe, expect, it } from 'vitest'
import {
  BranchStoppedError,
  call,
  callAll,
  eventDigest,
  cast,
  InvalidEventError,
  InvalidLogicError,
  InvalidOptionError,
  KeepsakeError,
  NameTakenError,
  reply,
  send,
  startBranch,
  startSupervisor,
  UnknownNameError,
  UnknownOptionError,
  startPool,
  branchSpec,
  startDynamicSupervisor,
  whereis,
  type AnyBranch
} from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()
const untyped = (f: unknown) => f as (...args: unknown[]) => unknown

async function rejection(promise: unknown): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

function thrown(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('startBranch rejects bad options with a typed error that says what to do', () => {
  it.each([
    ['no options', undefined, InvalidLogicError],
    ['options that are not an object', 'counter', InvalidOptionError],
    ['no logic', {}, InvalidLogicError],
    ['a function as logic', { logic: () => 0 }, InvalidLogicError],
    ['a plain object as logic', { logic: { type: 'counter' } }, InvalidLogicError],
    ['a numeric name', { logic: counterReducer, name: 42 }, InvalidOptionError],
    ['an empty name', { logic: counterReducer, name: '' }, InvalidOptionError],
    ['a negative maxRestarts', { logic: counterReducer, intensity: { maxRestarts: -1 } }, InvalidOptionError],
    ['a listener that is not an object', { logic: counterReducer, listener: 'log' }, InvalidOptionError],
    ['a listener callback that is not a function', { logic: counterReducer, listener: { onStateChange: 1 } }, InvalidOptionError],
    ['a clock without now()', { logic: counterReducer, clock: { setTimeout, clearTimeout } }, InvalidOptionError]
  ])('%s', async (_, options, type) => {
    const error = await rejection(untyped(startBranch)(options))
    expect(error).toBeInstanceOf(type)
    expect(error).toBeInstanceOf(KeepsakeError)
    expect((error as Error).message.length).toBeGreaterThan(30)
  })

  it('a taken name, naming it; the first branch keeps working', async () => {
    const first = await startBranch({ logic: counterReducer, name: 'unique' })
    started.push(first)
    const error = await rejection(startBranch({ logic: counterReducer, name: 'unique' }))
    expect(error).toBeInstanceOf(NameTakenError)
    expect((error as Error).message).toContain('"unique"')
    expect(await call('unique', { type: 'inc' })).toBe(1)
  })

  it('a name is released when its branch stops', async () => {
    const first = await startBranch({ logic: counterReducer, name: 'reusable' })
    await first.stop()
    expect(whereis('reusable')).toBeUndefined()
    const second = await startBranch({ logic: counterReducer, name: 'reusable' })
    started.push(second)
    expect(whereis('reusable')).toBe(second)
  })
})

describe('call, cast and send reject bad input with typed errors', () => {
  it.each([
    ['a string event', 'inc'],
    ['null', null],
    ['an array', [{ type: 'inc' }]],
    ['an event without a type', { kind: 'inc' }],
    ['an event with a numeric type', { type: 1 }],
    ['an event whose type getter throws', Object.defineProperty({}, 'type', { get: () => { throw new Error('getter') } })]
  ])('%s', async (_, event) => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await rejection(untyped(call)(branch, event))).toBeInstanceOf(InvalidEventError)
    expect(thrown(() => untyped(cast)(branch, event))).toBeInstanceOf(InvalidEventError)
    expect(thrown(() => untyped(send)(branch, event))).toBeInstanceOf(InvalidEventError)
    expect(await call(branch, { type: 'inc' })).toBe(1)
  })

  it.each([
    ['a negative timeout', { timeout: -1 }],
    ['a NaN timeout', { timeout: Number.NaN }],
    ['a string timeout', { timeout: '100' }],
    ['options that are not an object', 100]
  ])('call with %s', async (_, options) => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await rejection(untyped(call)(branch, { type: 'inc' }, options))).toBeInstanceOf(InvalidOptionError)
    expect(branch.state()).toBe(0)
  })

  it.each([
    ['a negative delay', { delay: -5 }],
    ['an infinite delay', { delay: Infinity }]
  ])('cast and send with %s', async (_, options) => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(thrown(() => untyped(cast)(branch, { type: 'inc' }, options))).toBeInstanceOf(InvalidOptionError)
    expect(thrown(() => untyped(send)(branch, { type: 'inc' }, options))).toBeInstanceOf(InvalidOptionError)
  })

  it('an unknown name, named in the error', async () => {
    const error = await rejection(call('nobody', { type: 'get' }))
    expect(error).toBeInstanceOf(UnknownNameError)
    expect((error as Error).message).toContain('"nobody"')
    expect(thrown(() => cast('nobody', { type: 'inc' }))).toBeInstanceOf(UnknownNameError)
  })

  it('a target that is neither a branch nor a name, named in the error with what it must be', async () => {
    const target = { option: 'target', message: expect.stringContaining('Option "target" must be a Branch or the name of a running branch; got') }
    expect(await rejection(untyped(call)(42, { type: 'get' }))).toMatchObject(target)
    // callAll rejects too (never throws), as every call does.
    expect(await rejection(untyped(callAll)(42, [{ type: 'get' }]))).toMatchObject(target)
    expect(thrown(() => untyped(cast)({}, { type: 'get' }))).toMatchObject({ option: 'target' })
    // null (typeof 'object') and undefined too: checked, not read.
    for (const none of [null, undefined]) {
      expect(await rejection(untyped(call)(none, { type: 'get' }))).toMatchObject(target)
      expect(thrown(() => untyped(cast)(none, { type: 'get' }))).toBeInstanceOf(InvalidOptionError)
    }
    expect(thrown(() => untyped(whereis)(7))).toMatchObject({ option: 'name', message: expect.stringContaining('Option "name" must be a string; got') })
    for (const error of [thrown(() => untyped(whereis)(7)), thrown(() => untyped(cast)({}, { type: 'get' }))]) expect(error).toBeInstanceOf(InvalidOptionError)
  })

  it('call options that are not an object, or a timeout that is not a duration, named in the error', async () => {
    const branch = await startBranch({ logic: counterReducer })
    try {
      expect(await rejection(call(branch, { type: 'inc' }, 5 as never))).toMatchObject({ option: 'call options' })
      expect(await rejection(call(branch, { type: 'inc' }, { timeout: -1 }))).toMatchObject({ option: 'timeout' })
      expect(await rejection(callAll(branch, [{ type: 'inc' }], { timeout: 'soon' as never }))).toMatchObject({ option: 'timeout' })
      expect(branch.state()).toBe(0)
    } finally {
      await branch.stop()
    }
  })

  it('callAll events that are not a non-empty array, cast options and delays, named in the error with what they must be', async () => {
    const branch = await startBranch({ logic: counterReducer })
    try {
      const events = { option: 'events', message: expect.stringContaining('must be a non-empty array of events') }
      expect(await rejection(callAll(branch, 'inc' as never))).toMatchObject(events)
      expect(await rejection(callAll(branch, []))).toMatchObject(events)
      expect(thrown(() => cast(branch, { type: 'inc' }, 5 as never))).toMatchObject({ option: 'cast options' })
      expect(thrown(() => cast(branch, { type: 'inc' }, { delay: -1 }))).toMatchObject({ option: 'delay' })
      expect(branch.state()).toBe(0)
    } finally {
      await branch.stop()
    }
  })

  it('a stopped branch, by handle', async () => {
    const branch = await startBranch({ logic: counterReducer })
    await branch.stop()
    expect(await rejection(call(branch, { type: 'get' }))).toBeInstanceOf(BranchStoppedError)
    expect(thrown(() => cast(branch, { type: 'inc' }))).toBeInstanceOf(BranchStoppedError)
    expect(thrown(() => branch.kill())).toBeInstanceOf(BranchStoppedError)
  })
})

describe('hostile option objects and handlers', () => {
  const throwing = Object.defineProperty({}, 'timeout', { enumerable: true, get: () => { throw new Error('getter') } })

  it('an options object whose getter throws is a typed error, not the getter\'s', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await rejection(untyped(call)(branch, { type: 'inc' }, throwing))).toBeInstanceOf(InvalidOptionError)
    expect(await rejection(untyped(startBranch)(Object.defineProperty({}, 'logic', { enumerable: true, get: () => { throw new Error('x') } })))).toBeInstanceOf(InvalidOptionError)
    expect(await call(branch, { type: 'inc' })).toBe(1)
  })

  it('a handler that is not a function, and a reply() without a function', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(thrown(() => untyped(branch.on.bind(branch))('state', 'log it'))).toBeInstanceOf(InvalidOptionError)
    expect(thrown(() => untyped(reply)(42))).toBeInstanceOf(InvalidOptionError)
  })
})

describe('issue 15 item 1: hostile values in every position get an exported error class, and the branch keeps answering', () => {
  const getter = (key: string | number, on: object = {}) => Object.defineProperty(on, key, { enumerable: true, get: () => { throw new Error('hostile getter') } })
  const trapping = <T extends object>(target: T, trap: keyof ProxyHandler<T>) => new Proxy(target, { [trap]: () => { throw new Error(`hostile ${String(trap)}`) } })
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable([], {})
    revoke()
    return proxy
  }
  const deep = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown

  it.each([
    ['a Proxy whose get trap throws', () => trapping([{ type: 'inc' }], 'get')],
    ['an array with a throwing getter for an item', () => getter(0, [])],
    ['a revoked Proxy', revoked],
    ['an array holding a Proxy event whose get trap throws', () => [trapping({ type: 'inc' }, 'get')]]
  ])('callAll given %s: InvalidOptionError or InvalidEventError, nothing applied', async (_, events) => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    const error = await rejection(untyped(callAll)(branch, events()))
    expect(error).toBeInstanceOf(KeepsakeError)
    expect([InvalidOptionError, InvalidEventError].some((type) => error instanceof type)).toBe(true)
    expect(await call(branch, { type: 'inc' })).toBe(1)
  })

  it.each([
    ['a field with a throwing getter', () => getter('x', { type: 'inc' })],
    ['a Proxy whose ownKeys throws', () => trapping({ type: 'inc' }, 'ownKeys')],
    ['a Proxy whose getPrototypeOf throws', () => trapping({ type: 'inc' }, 'getPrototypeOf')],
    ['a field holding a Proxy whose ownKeys throws', () => ({ type: 'inc', x: trapping({}, 'ownKeys') })],
    ['a cycle 50,000 levels down', () => {
      const bottom: Record<string, unknown> = {}
      const top = { type: 'inc', x: JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) as unknown[] }
      let node: unknown[] = top.x
      while (node[0]) node = node[0] as unknown[]
      node.push(bottom)
      bottom.back = top
      return top
    }]
  ])('a deduplicated call whose event has %s: InvalidOptionError naming dedupe', async (_, event) => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    const error = await rejection(untyped(call)(branch, event(), { dedupe: true }))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe('dedupe')
    expect(await call(branch, { type: 'inc' })).toBe(1)
  })

  it('a deduplicated call whose event is nested 100,000 levels deep is keyed without recursion, by its content', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    const x = deep(100_000)
    const digest = (value: unknown) => eventDigest({ type: 'inc', x: value } as { type: string })
    expect(digest(x)).toBe(digest(deep(100_000))) // equal data, another object
    expect(digest(x)).not.toBe(digest(deep(99_999)))
    expect(await call(branch, { type: 'inc', x }, { dedupe: true })).toBe(1)
  })

  it('a grouper that throws: InvalidOptionError naming grouper, with what it threw as cause', async () => {
    const boom = new Error('grouper boom')
    const branch = await startBranch({ logic: counterReducer, grouper: (event: { type: string }) => { if (event.type === 'boom') throw boom; return undefined } })
    started.push(branch)
    const error = await rejection(untyped(call)(branch, { type: 'boom' }))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe('grouper')
    expect((error as Error).cause).toBe(boom)
    expect(await call(branch, { type: 'inc' })).toBe(1)
  })

  it.each([
    ['whose get trap throws', () => trapping({}, 'get')],
    ['that is revoked', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy }]
  ])('a logic Proxy %s: InvalidLogicError', async (_, logic) => {
    expect(await rejection(untyped(startBranch)({ logic: logic() }))).toBeInstanceOf(InvalidLogicError)
  })

  it.each([
    ['a Proxy whose get trap throws', () => trapping([], 'get')],
    ['an array with a throwing getter for an item', () => getter(0, [])],
    ['a revoked Proxy', revoked]
  ])('supervisor children given %s: InvalidOptionError naming children', async (_, children) => {
    const error = await rejection(untyped(startSupervisor)({ children: children() }))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe('children')
  })
})

describe('unknown options', () => {
  it('a misspelt option is refused with UnknownOptionError naming the closest valid one, for branches, pools, child specs and supervisors', async () => {
    const refusals = await Promise.all([
      rejection(startBranch({ logic: counterReducer, idleTimout: 1000 } as never)),
      rejection(startPool({ logic: counterReducer, maxkeys: 3 } as never)),
      rejection(startSupervisor({ children: [branchSpec({ id: 'a', branch: { logic: counterReducer }, shutdwon: 10 } as never)] })),
      rejection(startSupervisor({ maxRestart: 3 } as never)),
      rejection(startDynamicSupervisor({ maxChildern: 3 } as never))
    ])
    expect(refusals.map((e) => [e instanceof UnknownOptionError && e instanceof KeepsakeError, (e as UnknownOptionError).option, (e as UnknownOptionError).suggestion])).toEqual([
      [true, 'idleTimout', 'idleTimeout'],
      [true, 'maxkeys', 'maxKeys'],
      [true, 'shutdwon', 'shutdown'],
      [true, 'maxRestart', 'maxRestarts'],
      [true, 'maxChildern', 'maxChildren']
    ])
    expect((refusals[0] as Error).message).toContain('did you mean "idleTimeout"?')
    expect((refusals[0] as UnknownOptionError).code).toBe('UNKNOWN_OPTION')
  })

  it("a branch's restart intensity, named `restart` before 0.2, is refused with its new name; nothing close gets no suggestion", async () => {
    const renamed = await rejection(startBranch({ logic: counterReducer, restart: { maxRestarts: 1 } } as never))
    expect(renamed).toBeInstanceOf(UnknownOptionError)
    expect(renamed).toMatchObject({ option: 'restart', suggestion: 'intensity' })
    expect((renamed as Error).message).toContain('was renamed to "intensity"')
    const pooled = await rejection(startPool({ logic: counterReducer, restart: { maxRestarts: 1 } } as never))
    expect(pooled).toMatchObject({ option: 'restart', suggestion: 'intensity' })
    const far = await rejection(startBranch({ logic: counterReducer, colour: 'blue' } as never))
    expect(far).toMatchObject({ option: 'colour', suggestion: undefined })
    // An option spelt right but left undefined (a spread of absent options) is no error.
    const branch = await startBranch({ logic: counterReducer, idleTimeout: undefined, extra: undefined } as never)
    started.push(branch)
    expect(branch.status).toBe('running')
  })
})
