import { describe, expect, it, vi } from 'vitest'
import { fromTransition } from 'xstate'
import { call, cast, MemoryStore, startBranch, WorkerCrashedError, type AnyBranch, type StopReason } from '../../src/index'
import { counterReducer } from '../support/logics'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

describe('listener and events', () => {
  it('the listener sees every state change, in order, and the termination with the last state', async () => {
    const changes: [number, number][] = []
    const terminations: [StopReason, number][] = []
    const branch = await startBranch({
      logic: counterReducer,
      listener: {
        onStateChange: (next, prev) => changes.push([prev, next]),
        onTerminate: (reason, state) => terminations.push([reason, state])
      }
    })
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'noop' })
    branch.kill()
    await call(branch, { type: 'crash' }).catch(() => {})
    cast(branch, { type: 'inc', by: 5 })
    await branch.stop()
    expect(changes).toEqual([
      [0, 1],
      [1, 6]
    ])
    expect(terminations).toEqual([[{ kind: 'shutdown' }, 6]])
  })

  it('emits typed state, crash, restart and stop events', async () => {
    const branch = await startBranch({ logic: counterReducer, name: 'observed' })
    const seen: string[] = []
    branch.on('state', (next, prev) => seen.push(`state ${prev}->${next}`))
    branch.on('crash', (r) => seen.push(`crash #${r.incarnation} on ${r.event?.type ?? 'kill'}: ${(r.error as Error).message}`))
    branch.on('restart', (r) => seen.push(`restart #${r.incarnation} (${r.restartsInWindow} in window)`))
    branch.on('stop', (reason, state) => seen.push(`stop ${reason.kind} at ${state}`))

    cast(branch, { type: 'inc' })
    await call(branch, { type: 'crash' }).catch(() => {})
    branch.kill(new Error('pulled the plug'))
    await branch.stop()
    expect(seen).toEqual([
      'state 0->1',
      'crash #1 on crash: reducer crashed',
      'restart #2 (1 in window)',
      'crash #2 on kill: pulled the plug',
      'restart #3 (2 in window)',
      'stop shutdown at 1'
    ])
  })

  it('a listener or handler that throws is reported, and the branch carries on', async () => {
    const reported: unknown[] = []
    const branch = await startBranch({
      logic: counterReducer,
      listener: {
        onStateChange: () => {
          throw new Error('listener bug')
        }
      }
    })
    started.push(branch)
    branch.on('listenerError', (e) => reported.push((e as Error).message))
    branch.on('state', () => {
      throw new Error('handler bug')
    })
    expect(await call(branch, { type: 'inc' })).toBe(1)
    expect(await call(branch, { type: 'inc' })).toBe(2)
    expect(reported).toEqual(['listener bug', 'handler bug', 'listener bug', 'handler bug'])
  })

  it('an unnamed branch is given the id branch-<n>, counting up', async () => {
    const [first, second] = [await startBranch({ logic: counterReducer }), await startBranch({ logic: counterReducer })]
    started.push(first, second)
    expect(first.id).toMatch(/^branch-\d+$/)
    expect(second.id).toBe(`branch-${Number(first.id.slice('branch-'.length)) + 1}`)
    expect(first.name).toBeUndefined()
    expect(first.children()).toEqual([
      { id: 'keeper', status: 'running' },
      { id: 'worker', status: 'running', incarnation: 1, restarts: 0 }
    ])
  })

  it('a listener without onTerminate (or onStateChange) is not called for it: no warning at the stop', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const changes: number[] = []
      const branch = await startBranch({ logic: counterReducer, listener: { onStateChange: (next) => changes.push(next) } })
      cast(branch, { type: 'inc' })
      await branch.stop()
      const quiet = await startBranch({ logic: counterReducer, listener: {} })
      cast(quiet, { type: 'inc' })
      await quiet.stop()
      expect(changes).toEqual([1])
      expect(warnings).not.toHaveBeenCalled()
    } finally {
      warnings.mockRestore()
    }
  })

  it('a stopped branch keeps no listeners', async () => {
    const branch = await startBranch({ logic: counterReducer })
    let calls = 0
    branch.on('state', () => calls++)
    await branch.stop()
    await branch.stop()
    expect(calls).toBe(0)
    expect(branch.status).toBe('stopped')
    expect(branch.children()).toEqual([
      { id: 'keeper', status: 'stopped' },
      { id: 'worker', status: 'stopped', incarnation: 1, restarts: 0 }
    ])
  })
})

describe('state through the keeper is immutable', () => {
  it('state() and listener states are frozen; a worker that mutates its state in place crashes instead', async () => {
    const mutating = fromTransition(
      (s: { items: number[] }, e: { type: 'push'; n: number } | { type: 'pushInPlace'; n: number } | { type: 'get' }) => {
        if (e.type === 'push') return { items: [...s.items, e.n] }
        if (e.type === 'pushInPlace') s.items.push(e.n)
        return s
      },
      { items: [] as number[] }
    )
    const branch = await startBranch({ logic: mutating })
    started.push(branch)
    cast(branch, { type: 'push', n: 1 })
    const state = branch.state()
    expect(Object.isFrozen(state)).toBe(true)
    expect(() => state.items.push(2)).toThrow(TypeError)

    await expect(call(branch, { type: 'pushInPlace', n: 3 })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await call(branch, { type: 'get' })).toEqual({ items: [1] })
  })
})

describe('what a branch tells inspectors', () => {
  it('_setup: where its state is kept, where its worker runs, when it passivates; _intensity: restarts in the window and the limit', async () => {
    const clock = new ManualClock()
    const plain = await startBranch({ logic: counterReducer, clock, intensity: { maxRestarts: 5, maxSeconds: 10 } })
    const kept = await startBranch({ logic: counterReducer, idleTimeout: 60_000, durable: { store: new MemoryStore(), id: 'inspected', mode: 'journal', durability: 'batched' } })
    started.push(plain, kept)
    expect(plain._setup()).toEqual({ durable: undefined, isolation: 'none', idleTimeout: Infinity })
    expect(kept._setup()).toEqual({ durable: { mode: 'journal', durability: 'batched' }, isolation: 'none', idleTimeout: 60_000 })
    expect(plain._intensity()).toEqual({ inWindow: 0, maxRestarts: 5, maxSeconds: 10 })
    plain.kill()
    clock.advance(4000)
    plain.kill()
    expect(plain._intensity()).toEqual({ inWindow: 2, maxRestarts: 5, maxSeconds: 10 })
    clock.advance(7000) // the first restart leaves the 10 s window
    expect(plain._intensity()).toEqual({ inWindow: 1, maxRestarts: 5, maxSeconds: 10 })
  })
})
