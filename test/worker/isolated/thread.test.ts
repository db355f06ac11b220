import { describe, expect, it } from 'vitest'
import {
  BranchStartError,
  call,
  callAll,
  cast,
  InvalidOptionError,
  LogicModuleError,
  send,
  startBranch,
  UncloneableError,
  WorkerCrashedError,
  type AnyBranch
} from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule, next } from './support'

const started = stoppedAfterEach<AnyBranch>()

async function isolated(name: string, options: Record<string, unknown> = {}): Promise<AnyBranch> {
  const branch = await startBranch({ logic: logicModule(name), isolation: 'thread', ...options })
  started.push(branch)
  return branch
}

describe("isolation: 'thread'", () => {
  it('round-trips call, cast and send; the state is kept in this thread', async () => {
    const branch = await isolated('counterReducer')
    expect(branch.state()).toBe(0)
    cast(branch, { type: 'inc' })
    expect(send(branch, { type: 'inc', by: 2 })).toEqual({ type: 'inc', by: 2 })
    expect(await call(branch, { type: 'get' })).toBe(3)
    expect(branch.state()).toBe(3)
    expect(branch.worker()).toBeUndefined() // the actor lives in the thread
  })

  it('answers with reply() from a machine, and runs the worker in another thread', async () => {
    const machine = await isolated('counterMachine', { input: { start: 5 } })
    expect(await call(machine, { type: 'get' })).toBe(5)
    const device = await isolated('device')
    const where = (await call(device, { type: 'where' })) as { pid: number; threadId: number }
    expect(where.pid).toBe(process.pid)
    expect(where.threadId).toBeGreaterThan(0)
  })

  it('a crash rejects its call with WorkerCrashedError and restarts from the kept state, messages in order', async () => {
    const branch = await isolated('device')
    const { threadId } = (await call(branch, { type: 'where' })) as { threadId: number }
    await call(branch, { type: 'read', value: 1 })
    const crashed = call(branch, { type: 'throw' })
    cast(branch, { type: 'read', value: 2 })
    const after = call(branch, { type: 'get' })
    const error = await crashed.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error as Error & { cause: Error }).cause.message).toBe('driver error')
    expect(await after).toEqual([1, 2])
    expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
    // A crash the thread survives restarts the worker in the same thread.
    expect(((await call(branch, { type: 'where' })) as { threadId: number }).threadId).toBe(threadId)
  })

  it('kill() restarts the worker with its state', async () => {
    const branch = await isolated('counterReducer')
    await call(branch, { type: 'inc' })
    branch.kill()
    expect(branch.status).toBe('running')
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('callAll applies its events all or none across the border', async () => {
    const branch = await isolated('device')
    expect(await callAll(branch, [{ type: 'read', value: 1 }, { type: 'read', value: 2 }])).toEqual([1, 2])
    await expect(callAll(branch, [{ type: 'read', value: 3 }, { type: 'throw' }])).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await call(branch, { type: 'get' })).toEqual([1, 2])
  })

  it('deferred replies cross the border; a crash rejects a call waiting for one', async () => {
    const branch = await isolated('fetcher')
    expect(await call(branch, { type: 'fetch', value: 'a' })).toBe('loaded a')
    expect((branch.state() as { fetched: number }).fetched).toBe(1)
    const waiting = await isolated('silent')
    const asked = call(waiting, { type: 'ask' })
    expect(await call(waiting, { type: 'noop' })).toBe(1) // ask was processed, its answer deferred
    waiting.kill()
    await expect(asked).rejects.toBeInstanceOf(WorkerCrashedError)
  })

  it('tables survive a crash, written in the thread and kept in this one', async () => {
    const branch = await isolated('seen')
    cast(branch, { type: 'see', id: 'a' })
    await expect(call(branch, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
    cast(branch, { type: 'see', id: 'a' })
    cast(branch, { type: 'see', id: 'b' })
    expect(await call(branch, { type: 'count' })).toBe(2)
  })

  it('listener and state events see each change, and only changes', async () => {
    const changes: [unknown, unknown][] = []
    const branch = await isolated('counterReducer', { listener: { onStateChange: (next: unknown, prev: unknown) => changes.push([prev, next]) } })
    const events: unknown[] = []
    branch.on('state', (next) => events.push(next))
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'noop' })
    await call(branch, { type: 'get' })
    branch.kill()
    cast(branch, { type: 'inc' })
    await call(branch, { type: 'get' })
    expect(changes).toEqual([[0, 1], [1, 2]])
    expect(events).toEqual([1, 2])
    expect(Object.isFrozen(branch.state())).toBe(true)
  })

  it('an event that cannot be cloned is refused at once, naming the field', async () => {
    const branch = await isolated('counterReducer')
    const error = await call(branch, { type: 'inc', by: 1, extra: { fn: () => 1 } } as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UncloneableError)
    expect((error as UncloneableError).path).toBe('event.extra.fn')
    expect(() => cast(branch, { type: 'inc', when: Symbol('now') } as never)).toThrow(/event\.when is a symbol/)
    expect(await call(branch, { type: 'get' })).toBe(0)
  })

  it('an uncloneable call or callAll is refused before the messages queued ahead of it are answered, not when its turn comes', async () => {
    const branch = await isolated('counterReducer')
    const order: string[] = []
    const ahead = call(branch, { type: 'inc' }).then(() => order.push('ahead answered'))
    const refused = (name: string) => (error: unknown) => {
      expect(error).toBeInstanceOf(UncloneableError)
      order.push(name)
    }
    const one = call(branch, { type: 'inc', extra: { fn: () => 1 } } as never).catch(refused('call refused'))
    const batch = callAll(branch, [{ type: 'inc' }, { type: 'inc', fn: () => 1 } as never]).catch(refused('callAll refused'))
    await Promise.all([ahead, one, batch])
    expect(order).toEqual(['call refused', 'callAll refused', 'ahead answered'])
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('a state that cannot be cloned is a crash of that message, naming the field; the last good state stays', async () => {
    const branch = await isolated('leaky')
    await call(branch, { type: 'inc' })
    const crash = next<{ error: unknown }>(branch, 'crash')
    const error = await call(branch, { type: 'keep' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    const cause = (error as { cause: unknown }).cause
    expect(cause).toBeInstanceOf(UncloneableError)
    expect((cause as UncloneableError).path).toBe('state.fn')
    expect((await crash).error).toBe(cause)
    expect(await call(branch, { type: 'get' } as never)).toEqual({ n: 1 })
  })

  it('a relative module path is resolved against the calling file', async () => {
    const branch = await startBranch({ logic: { module: './logics.ts', export: 'counterReducer' }, isolation: 'thread' })
    started.push(branch)
    expect(await call(branch, { type: 'get' })).toBe(0)
  })

  it('refuses bad isolation options with typed errors', async () => {
    const { counterReducer } = await import('./logics')
    await expect(startBranch({ logic: counterReducer, isolation: 'thread' })).rejects.toMatchObject({ option: 'logic' })
    await expect(startBranch({ logic: counterReducer, maxProcessingMs: 100 })).rejects.toMatchObject({ option: 'maxProcessingMs' })
    await expect(startBranch({ logic: logicModule('counterReducer'), isolation: 'fiber' as never })).rejects.toMatchObject({ option: 'isolation' })
    await expect(startBranch({ logic: { module: './nowhere.ts' }, isolation: 'thread' })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startBranch({ logic: logicModule('counterReducer'), isolation: 'thread', resourceLimits: { heap: 1 } as never })).rejects.toMatchObject({ option: 'resourceLimits.heap' })
  })

  it('a module without that export fails the start with BranchStartError', async () => {
    const error = await startBranch({ logic: logicModule('notLogic'), isolation: 'thread' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BranchStartError)
    expect((error as { cause: unknown }).cause).toBeInstanceOf(LogicModuleError)
  })

  it("a module-named logic also runs with isolation 'none'", async () => {
    const branch = await startBranch({ logic: logicModule('counterMachine') })
    started.push(branch)
    cast(branch, { type: 'inc' })
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(branch.worker()).toBeDefined()
  })
})
