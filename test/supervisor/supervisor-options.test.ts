import { describe, expect, it } from 'vitest'
import {
  ChildAlreadyExistsError,
  InvalidOptionError,
  startDynamicSupervisor,
  startSupervisor,
  SupervisorFullError,
  UnknownOptionError
} from '../../src/index'
import { recorded } from '../support/children'
import { startedForEach } from '../support/cleanup'

// startSupervisor / startDynamicSupervisor options: defaults, and the option
// each bad value is blamed on, with what it should have been.

const { start } = startedForEach(startSupervisor)
const { start: startDynamic } = startedForEach(startDynamicSupervisor)

async function refusal(starting: Promise<unknown>): Promise<InvalidOptionError> {
  const error = await starting.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(InvalidOptionError)
  return error as InvalidOptionError
}

const untyped = (options: Record<string, unknown>) => options as never

describe('supervisor options', () => {
  it("default to one_for_one, 3 restarts in 5 s, a generated id, and no limit on children", async () => {
    const sup = await start({})
    expect(sup.strategy).toBe('one_for_one')
    expect(sup.id).toMatch(/^supervisor-\d+$/)
    expect(sup.tree().intensity).toEqual({ inWindow: 0, maxRestarts: 3, maxSeconds: 5 })
    for (let i = 0; i < 20; i++) await sup.startChild(recorded(`c${i}`, []))
    expect(sup.countChildren().specs).toBe(20)
  })

  it('each supervisor without an id gets its own', async () => {
    const [a, b] = await Promise.all([start({}), startDynamic({})])
    expect(a.id).not.toBe(b.id)
  })

  it('keep the id, strategy and intensity they were given', async () => {
    const sup = await start({ id: 'root', strategy: 'rest_for_one', maxRestarts: 7, maxSeconds: 2 })
    expect(sup.id).toBe('root')
    expect(sup.strategy).toBe('rest_for_one')
    expect(sup.tree().intensity).toEqual({ inWindow: 0, maxRestarts: 7, maxSeconds: 2 })
  })

  it('maxChildren 0 refuses every child, naming the supervisor and its maximum', async () => {
    const sup = await startDynamic({ id: 'none', maxChildren: 0 })
    const error = await sup.startChild(recorded('a', [])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SupervisorFullError)
    expect(error).toMatchObject({ supervisorId: 'none' })
    expect((error as Error).message).toMatch(/maximum of 0 children/)
  })

  it('maxChildren Infinity is no limit', async () => {
    const sup = await startDynamic({ maxChildren: Infinity })
    for (let i = 0; i < 5; i++) await sup.startChild(recorded(`c${i}`, []))
    expect(sup.countChildren().active).toBe(5)
  })

  it('a dynamic supervisor is one_for_one, given that strategy or none', async () => {
    expect((await startDynamic(untyped({ strategy: 'one_for_one' }))).strategy).toBe('one_for_one')
    expect((await startDynamic({})).strategy).toBe('one_for_one')
  })

  it.each([
    ['an empty id', { id: '' }, 'id', /a non-empty string/],
    ['a numeric id', { id: 42 }, 'id', /a non-empty string/],
    ['an unknown strategy', { strategy: 'all_for_none' }, 'strategy', /one_for_one, one_for_all, rest_for_one/],
    ['an unknown autoShutdown', { autoShutdown: 'some' }, 'autoShutdown', /never, any_significant, all_significant/],
    ['a negative maxChildren', { maxChildren: -1 }, 'maxChildren', /an integer >= 0 or Infinity/],
    ['a fractional maxChildren', { maxChildren: 1.5 }, 'maxChildren', /an integer >= 0 or Infinity/],
    ['a maxChildren in a string', { maxChildren: '3' }, 'maxChildren', /an integer >= 0 or Infinity/],
    ['a NaN maxChildren', { maxChildren: Number.NaN }, 'maxChildren', /an integer >= 0 or Infinity/],
    ['a clock that is not one', { clock: 5 }, 'clock', /an object/],
    ['a fractional maxRestarts', { maxRestarts: 1.5 }, 'intensity.maxRestarts', /an integer >= 0/],
    ['children that are not a list', { children: 'a' }, 'children', /an array of child specs/],
    [
      'a significant child with autoShutdown never',
      { children: [recorded('x', [], { restart: 'transient', significant: true })] },
      'x.significant',
      /false when autoShutdown is 'never'/
    ]
  ])('startSupervisor refuses %s, naming the option and what it must be', async (_, options, option, expected) => {
    const error = await refusal(startSupervisor(untyped(options)))
    expect(error.option).toBe(option)
    expect(error.message).toMatch(expected)
  })

  it.each([
    ['another strategy', { strategy: 'one_for_all' }, 'strategy', /'one_for_one' for a dynamic supervisor/],
    ['an autoShutdown', { autoShutdown: 'never' }, 'autoShutdown', /absent for a dynamic supervisor/],
    ['children', { children: [recorded('a', [])] }, 'children', /absent for a dynamic supervisor \(use startChild\)/]
  ])('startDynamicSupervisor refuses %s', async (_, options, option, expected) => {
    const error = await refusal(startDynamicSupervisor(untyped(options)))
    expect(error.option).toBe(option)
    expect(error.message).toMatch(expected)
  })

  it('a significant child is accepted with autoShutdown any_significant or all_significant', async () => {
    for (const autoShutdown of ['any_significant', 'all_significant'] as const) {
      const sup = await start({ autoShutdown, children: [recorded('x', [], { restart: 'transient', significant: true })] })
      expect(sup.countChildren().active).toBe(1)
    }
  })

  it('that are not an object are blamed as supervisor options', async () => {
    expect((await refusal(startSupervisor('fast' as never))).option).toBe('supervisor options')
  })

  it('an unknown option is blamed on the function it was given to', async () => {
    const plain = await startSupervisor(untyped({ maxChildern: 3 })).catch((e: unknown) => e)
    const dynamic = await startDynamicSupervisor(untyped({ maxChildern: 3 })).catch((e: unknown) => e)
    expect(plain).toBeInstanceOf(UnknownOptionError)
    expect((plain as Error).message).toMatch(/in startSupervisor options/)
    expect((dynamic as Error).message).toMatch(/in startDynamicSupervisor options/)
  })

  it('refuses a child with the id of one it holds, naming it', async () => {
    const sup = await start({ id: 'root', children: [recorded('a', [])] })
    const error = await sup.startChild(recorded('a', [])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChildAlreadyExistsError)
    expect(error).toMatchObject({ childId: 'a' })
    expect((error as Error).message).toMatch(/Supervisor "root" already has a child "a"/)
  })

  it('accepts every option at once', async () => {
    const sup = await start({ id: 'all', strategy: 'one_for_all', children: [], maxRestarts: 1, maxSeconds: 1, autoShutdown: 'never', maxChildren: 2 })
    expect(sup.countChildren().specs).toBe(0)
  })
})
