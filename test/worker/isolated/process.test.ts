import { describe, expect, it } from 'vitest'
import { call, cast, send, startBranch, WorkerCrashedError, WorkerExitedError, WorkerHungError, type AnyBranch } from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule } from './support'

const started = stoppedAfterEach<AnyBranch>()

async function inProcess(name: string, options: Record<string, unknown> = {}): Promise<AnyBranch> {
  const branch = await startBranch({ logic: logicModule(name), isolation: 'process', ...options })
  started.push(branch)
  return branch
}

const pidOf = async (branch: AnyBranch) => ((await call(branch, { type: 'where' }, { timeout: 20_000 })) as { pid: number }).pid

describe("isolation: 'process'", () => {
  it('round-trips call, cast and send with a worker in a child process', async () => {
    const branch = await inProcess('counterMachine')
    cast(branch, { type: 'inc' })
    send(branch, { type: 'inc', by: 2 })
    expect(await call(branch, { type: 'get' })).toBe(3)
    expect(branch.state()).toEqual({ count: 3 })
    const device = await inProcess('device')
    expect(await pidOf(device)).not.toBe(process.pid)
  })

  it('keeps the typed arrays of events it read intact while it reads more', async () => {
    const branch = await inProcess('byteKeeper')
    cast(branch, { type: 'keep', bytes: new Uint8Array(64).fill(1) })
    expect(await call(branch, { type: 'bytes' })).toEqual([Array(64).fill(1)])
    // The same frame again but for its bytes: read where the first was, were the read buffer reused under it.
    cast(branch, { type: 'keep', bytes: new Uint8Array(64).fill(2) })
    expect(await call(branch, { type: 'bytes' })).toEqual([Array(64).fill(1), Array(64).fill(2)])
  })

  it('a worker that calls process.abort() restarts with its state in a new process', async () => {
    const branch = await inProcess('device')
    await call(branch, { type: 'read', value: 1 })
    await call(branch, { type: 'read', value: 2 })
    const before = await pidOf(branch)
    const error = await call(branch, { type: 'abort' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    const cause = (error as { cause: unknown }).cause
    expect(cause).toBeInstanceOf(WorkerExitedError)
    expect((cause as Error).message).toMatch(/aborted \(SIGABRT\)/)
    cast(branch, { type: 'read', value: 3 })
    expect(await call(branch, { type: 'get' }, { timeout: 20_000 })).toEqual([1, 2, 3])
    expect(await pidOf(branch)).not.toBe(before)
    expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
  }, 30_000)

  it('a crash the process survives restarts the worker in the same process', async () => {
    const branch = await inProcess('device')
    const before = await pidOf(branch)
    await expect(call(branch, { type: 'throw' })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await pidOf(branch)).toBe(before)
  })

  it('tables written before the process aborted are kept', async () => {
    const branch = await inProcess('seen')
    cast(branch, { type: 'see', id: 'a' })
    expect(await call(branch, { type: 'count' })).toBe(1)
    await expect(call(branch, { type: 'abort' })).rejects.toBeInstanceOf(WorkerCrashedError)
    cast(branch, { type: 'see', id: 'a' })
    cast(branch, { type: 'see', id: 'b' })
    expect(await call(branch, { type: 'count' }, { timeout: 20_000 })).toBe(2)
  })

  it('the watchdog terminates a hung child process', async () => {
    const branch = await inProcess('device', { maxProcessingMs: 500 })
    await call(branch, { type: 'read', value: 5 })
    const before = await pidOf(branch)
    await expect(call(branch, { type: 'hang' })).rejects.toBeInstanceOf(WorkerHungError)
    expect(await call(branch, { type: 'get' }, { timeout: 20_000 })).toEqual([5])
    expect(await pidOf(branch)).not.toBe(before)
  }, 30_000)

  it('deferred replies cross the process border', async () => {
    const branch = await inProcess('fetcher')
    expect(await call(branch, { type: 'fetch', value: 'b' })).toBe('loaded b')
  })
})
