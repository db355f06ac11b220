import { describe, expect, it } from 'vitest'
import { fromTransition, setup } from 'xstate'
import {
  BranchStoppedError,
  call,
  cast,
  MemoryStore,
  RecoveryError,
  RestartIntensityExceeded,
  SnapshotConflictError,
  startBranch,
  type AnyBranch
} from '../../src/index'
import { counterReducer } from '../support/logics'
import { deferred } from '../support/deferred'

// What a message to a stopped (or stopping) branch gets, for each way a branch
// stops: a BranchStoppedError that says why, with the failure as its `cause`
// when it failed, and no `cause` at all when it did not.

/** What a call to `branch` rejects with now. */
const refusal = (branch: AnyBranch): Promise<BranchStoppedError> => call(branch, { type: 'inc' }).then(
  () => expect.fail('the call resolved'),
  (error: unknown) => {
    expect(error).toBeInstanceOf(BranchStoppedError)
    return error as BranchStoppedError
  }
)

describe('a call to a stopped branch', () => {
  it('stopped: says it was stopped, with no cause', async () => {
    const branch = await startBranch({ logic: counterReducer, name: 'stopped-errors-shutdown' })
    await branch.stop()
    const error = await refusal(branch)
    expect(error.message).toBe('Branch "stopped-errors-shutdown" is stopped (it was stopped); its messages are no longer delivered. Start a new branch to go on.')
    expect(error.branchId).toBe('stopped-errors-shutdown')
    expect('cause' in error).toBe(false)
  })

  it('its logic ended: says it reached a final state, with no cause', async () => {
    const ending = setup({ types: { events: {} as { type: 'end' } | { type: 'inc' } } }).createMachine({
      initial: 'on',
      states: { on: { on: { end: 'done' } }, done: { type: 'final' } }
    })
    const branch = await startBranch({ logic: ending })
    cast(branch, { type: 'end' })
    expect(branch.status).toBe('stopped')
    const error = await refusal(branch)
    expect(error.message).toContain('(its logic reached a final state)')
    expect('cause' in error).toBe(false)
  })

  it('it gave up restarting: says restart intensity exceeded, with that as the cause', async () => {
    const branch = await startBranch({ logic: counterReducer, intensity: { maxRestarts: 0, maxSeconds: 5 } })
    branch.kill(new Error('pulled'))
    expect(branch.status).toBe('stopped')
    const error = await refusal(branch)
    expect(error.message).toContain('(restart intensity exceeded)')
    expect(error.cause).toBeInstanceOf(RestartIntensityExceeded)
  })

  it('its state could not be read back: says the failure itself, with it as the cause', async () => {
    const list = fromTransition((items: string[], event: { type: 'add'; item: string } | { type: 'inc' }) => (event.type === 'add' ? [...items, event.item] : items), [] as string[])
    const store = new MemoryStore()
    const branch = await startBranch({ logic: list, durable: { store, id: 'stopped-errors-recovery' } })
    await call(branch, { type: 'add', item: 'kept' })
    const stopped = deferred<unknown>()
    branch.on('stop', (reason) => stopped.resolve(reason))
    // Another writer leaves a damaged snapshot: the next write is refused, and reading the state back fails for good.
    await store.saveSnapshot('stopped-errors-recovery', { seq: 2, data: 'hello' })
    await expect(call(branch, { type: 'add', item: 'refused' })).rejects.toThrow(SnapshotConflictError)
    const reason = (await stopped.promise) as { kind: string; error: RecoveryError }
    expect(reason).toMatchObject({ kind: 'failure', error: expect.any(RecoveryError) })
    const error = await refusal(branch)
    expect(error.message).toContain(`(${reason.error.message})`)
    expect(error.cause).toBe(reason.error)
  })
})

describe('a call to a stopping branch', () => {
  it('says it is stopping', async () => {
    const branch = await startBranch({ logic: counterReducer, name: 'stopped-errors-stopping', durable: { store: new MemoryStore(), id: 'stopping' } })
    const stopping = branch.stop()
    expect(branch.status).toBe('stopping')
    const error = await refusal(branch)
    expect(error.message).toContain('(it is stopping)')
    expect('cause' in error).toBe(false)
    await stopping
  })
})

describe('a branch stopped while it reads its state back', () => {
  it('stays stopped as it was when the read-back then fails for good: one termination, the shutdown', async () => {
    let gate: Promise<void> | undefined
    class GatedReads extends MemoryStore {
      override async loadSnapshot(...args: Parameters<MemoryStore['loadSnapshot']>): ReturnType<MemoryStore['loadSnapshot']> {
        await gate
        return super.loadSnapshot(...args)
      }
    }
    const store = new GatedReads()
    const ended: unknown[] = []
    const list = fromTransition((items: string[], event: { type: 'add'; item: string } | { type: 'inc' }) => (event.type === 'add' ? [...items, event.item] : items), [] as string[])
    const branch = await startBranch({ logic: list, durable: { store, id: 'stopped-reading' }, listener: { onTerminate: (reason) => ended.push(reason) } })
    await call(branch, { type: 'add', item: 'kept' })
    const opened = deferred<void>()
    gate = opened.promise
    // Another writer leaves a damaged snapshot: the next write is refused, and the read-back waits at the gate.
    await store.saveSnapshot('stopped-reading', { seq: 2, data: 'hello' })
    await expect(call(branch, { type: 'add', item: 'refused' })).rejects.toThrow(SnapshotConflictError)
    await branch.stop({ timeout: 0 })
    expect(ended).toEqual([{ kind: 'shutdown' }])
    opened.resolve()
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(ended).toEqual([{ kind: 'shutdown' }])
    expect((await refusal(branch)).message).toContain('(it was stopped)')
  })
})
