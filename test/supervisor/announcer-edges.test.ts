import { afterEach, describe, expect, it, vi } from 'vitest'
import { assign, emit, setup } from 'xstate'
import { call, cast, InvalidOptionError, startBranch, type AnyBranch } from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

// What a branch tells its listeners, at the edges: bad arguments name the
// method, removeListener lets a handler go, and a handler that throws is a
// listenerError or, with no one to tell, a process warning naming the branch.

const started = stoppedAfterEach<AnyBranch>()

afterEach(() => {
  vi.restoreAllMocks()
})

const beeper = setup({ types: { context: {} as { beeps: number }, events: {} as { type: 'beep' }, emitted: {} as { type: 'beeped' } } }).createMachine({
  context: { beeps: 0 },
  on: { beep: { actions: [assign({ beeps: ({ context }) => context.beeps + 1 }), emit({ type: 'beeped' as const })] } }
})

describe('listener arguments', () => {
  it('on, once, off and removeListener take only functions, naming the method', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    const loose = branch as unknown as Record<'on' | 'once' | 'off' | 'removeListener', (event: string, handler: unknown) => unknown>
    for (const method of ['on', 'once', 'off', 'removeListener'] as const) {
      const thrown = (() => {
        try {
          loose[method]('state', 'not a function')
        } catch (error) {
          return error
        }
      })()
      expect(thrown).toBeInstanceOf(InvalidOptionError)
      expect(thrown).toMatchObject({ option: `${method}(event, handler)` })
      expect((thrown as Error).message).toContain('must be a function')
    }
  })

  it('an event name that is not a string is refused, saying what it must be', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    const on = branch.on.bind(branch) as unknown as (event: unknown, handler: () => void) => unknown
    expect(() => on(42, () => {})).toThrow(InvalidOptionError)
    expect(() => on(42, () => {})).toThrow(expect.objectContaining({ option: 'event', message: expect.stringContaining('an event name (a string)') }))
  })
})

describe('removeListener', () => {
  it("lets a branch event's handler and an emitted event's handler go", async () => {
    const branch = await startBranch({ logic: beeper })
    started.push(branch)
    const seen: string[] = []
    const onState = () => seen.push('state')
    const onBeeped = () => seen.push('beeped')
    branch.on('state', onState)
    branch.on('beeped', onBeeped)
    await call(branch, { type: 'beep' })
    expect(seen).toEqual(['beeped', 'state'])
    expect(branch.removeListener('state', onState)).toBe(branch)
    expect(branch.removeListener('beeped', onBeeped)).toBe(branch)
    await call(branch, { type: 'beep' })
    expect(seen).toEqual(['beeped', 'state'])
  })
})

describe('a handler that throws', () => {
  it('with no listenerError handler, is a process warning naming the branch and the error', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const branch = await startBranch({ logic: counterReducer, name: 'announcer-edges-sloppy' })
    started.push(branch)
    branch.on('state', () => {
      throw new Error('handler bug')
    })
    cast(branch, { type: 'inc' })
    expect(branch.state()).toBe(1)
    expect(warnings.mock.calls.map(([message]) => message)).toEqual(['keepsake: a listener of branch "announcer-edges-sloppy" threw: Error: handler bug'])
  })

  it('a listenerError handler that throws too is swallowed, and the branch carries on', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    branch.on('listenerError', () => {
      throw new Error('again')
    })
    branch.on('state', () => {
      throw new Error('first')
    })
    expect(await call(branch, { type: 'inc' })).toBe(1)
    expect(await call(branch, { type: 'inc' })).toBe(2)
    expect(warnings).not.toHaveBeenCalled()
  })
})

describe('subscribe', () => {
  it('names a bad observer, or the callback of one, and what it must be', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    const refusal = (observer: unknown) => {
      try {
        branch.subscribe(observer as never)
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError)
        return error as InvalidOptionError
      }
      throw new Error('expected the observer to be refused')
    }
    expect(refusal(42).option).toBe('subscribe(observer)')
    const callback = refusal({ complete: 'done' })
    expect(callback.option).toBe('subscribe observer.complete')
    expect(callback.message).toContain('a function')
  })

  it('an observer with only some callbacks gets those, with no warning; a stopped branch hands back a subscription to end', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    let completed = 0
    branch.subscribe({ complete: () => void completed++ })
    const states: unknown[] = []
    branch.subscribe({ next: (snapshot) => states.push(snapshot.context) })
    const failing = await startBranch({ logic: counterReducer, intensity: { maxRestarts: 0 } })
    started.push(failing)
    failing.subscribe({ next: () => {} })
    failing.kill(new Error('gone'))
    expect(failing.status).toBe('stopped')
    expect(await call(branch, { type: 'inc' })).toBe(1)
    await branch.stop()
    expect(states).toEqual([1])
    expect(completed).toBe(1)
    expect(warnings).not.toHaveBeenCalled()
    expect(() => branch.subscribe(() => {}).unsubscribe()).not.toThrow()
  })
})
