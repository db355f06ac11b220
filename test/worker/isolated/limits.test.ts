import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { call, startBranch, WorkerCrashedError, WorkerExitedError, WorkerHungError, type AnyBranch } from '../../../src/index'
import { counterReducer } from '../../support/logics'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule } from './support'

const started = stoppedAfterEach<AnyBranch>()

async function start(options: Parameters<typeof startBranch>[0]): Promise<AnyBranch> {
  const branch = await startBranch(options)
  started.push(branch)
  return branch
}

/** Yields to the event loop (timers, I/O, messages from threads), as any server would between requests. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('the watchdog: maxProcessingMs', () => {
  it('a message that loops forever rejects with WorkerHungError within ~1 s; other branches keep answering; the branch keeps its state', async () => {
    const device = await start({ logic: logicModule('device'), isolation: 'thread', maxProcessingMs: 200 })
    const local = await start({ logic: counterReducer })
    const neighbour = await start({ logic: logicModule('counterReducer'), isolation: 'thread' })
    await call(device, { type: 'read', value: 7 })

    const began = performance.now()
    let settledAt = 0
    const hung = call(device, { type: 'hang' }).then(
      () => undefined,
      (error: unknown) => ((settledAt = performance.now()), error)
    )
    // While the device's thread spins, both neighbours answer: one in this thread, one in its own.
    const latencies = { local: [] as number[], neighbour: [] as number[] }
    while (settledAt === 0) {
      let t = performance.now()
      await call(local, { type: 'get' })
      latencies.local.push(performance.now() - t)
      t = performance.now()
      await call(neighbour, { type: 'get' })
      latencies.neighbour.push(performance.now() - t)
      await turn()
    }
    const error = await hung
    const elapsed = settledAt - began
    const worst = { local: Math.max(...latencies.local), neighbour: Math.max(...latencies.neighbour) }
    console.log(`hung call rejected after ${elapsed.toFixed(0)} ms; meanwhile ${latencies.local.length} calls each, worst latency: ${worst.local.toFixed(2)} ms (this thread), ${worst.neighbour.toFixed(2)} ms (a thread)`)

    expect(error).toBeInstanceOf(WorkerHungError)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error as WorkerHungError).maxProcessingMs).toBe(200)
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(1000)
    expect(latencies.local.length).toBeGreaterThan(5)
    expect(worst.local).toBeLessThan(200) // blocked, it would wait out the whole hang (200 ms) and more
    expect(worst.neighbour).toBeLessThan(400)
    // A new thread is started; the branch answers from its last good state.
    expect(await call(device, { type: 'get' }, { timeout: 20_000 })).toEqual([7])
    expect(device.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
  }, 30_000)

  it('a message within the limit is not touched', async () => {
    const device = await start({ logic: logicModule('device'), isolation: 'thread', maxProcessingMs: 5000 })
    for (let i = 0; i < 20; i++) await call(device, { type: 'read', value: i })
    expect((device.state() as number[]).length).toBe(20)
    expect(device.children()[1]).toMatchObject({ incarnation: 1 })
  })
})

describe('resourceLimits', () => {
  it('a thread that allocates without bound under a small heap limit is a crash of its branch; the process survives', async () => {
    const device = await start({
      logic: logicModule('device'),
      isolation: 'thread',
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 }
    })
    await call(device, { type: 'read', value: 1 })
    const crash = new Promise<unknown>((resolve) => device.once('crash', ({ error }) => resolve(error)))
    const error = await call(device, { type: 'bloat' }, { timeout: 20_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    const cause = (error as { cause: unknown }).cause
    expect(cause).toBeInstanceOf(WorkerExitedError)
    expect((cause as Error).message).toMatch(/ran out of memory/)
    expect(await crash).toBe(cause)
    await call(device, { type: 'read', value: 2 }, { timeout: 20_000 })
    expect(await call(device, { type: 'get' })).toEqual([1, 2])
  }, 30_000)
})

describe('out of memory in a child process', () => {
  it('a child process that runs out of memory is reported as out-of-memory, not as aborted (SIGABRT); the branch keeps its state', async () => {
    const device = await start({ logic: logicModule('device'), isolation: 'process', resourceLimits: { maxOldGenerationSizeMb: 64 } })
    await call(device, { type: 'read', value: 1 }, { timeout: 20_000 })
    const error = await call(device, { type: 'bloat' }, { timeout: 20_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    const cause = (error as { cause: unknown }).cause
    expect(cause).toBeInstanceOf(WorkerExitedError)
    expect((cause as WorkerExitedError).how).toMatch(/^ran out of memory/)
    expect((cause as WorkerExitedError).how).not.toMatch(/aborted/)
    expect(await call(device, { type: 'get' }, { timeout: 20_000 })).toEqual([1])
  }, 30_000)

  it('a child process that aborts while another process holds its stderr is reported as aborted, not as hung by a watchdog that fires meanwhile', async () => {
    // The watchdog (2 s) fires after the abort, even on a loaded machine, and while the helper still holds stderr (6 s).
    const device = await start({ logic: logicModule('device'), isolation: 'process', maxProcessingMs: 2000 })
    await call(device, { type: 'read', value: 1 }, { timeout: 20_000 })
    const error = await call(device, { type: 'abortLeavingStderr' }, { timeout: 20_000 }).catch((e: unknown) => e)
    expect((error as { cause: unknown }).cause).toBeInstanceOf(WorkerExitedError)
    expect(((error as { cause: unknown }).cause as WorkerExitedError).how).toBe('aborted (SIGABRT)')
    expect(await call(device, { type: 'get' }, { timeout: 20_000 })).toEqual([1])
  }, 30_000)

  it('a child process that aborts with its heap far from full is still reported as aborted (SIGABRT)', async () => {
    const device = await start({ logic: logicModule('device'), isolation: 'process' })
    const error = await call(device, { type: 'abort' }, { timeout: 20_000 }).catch((e: unknown) => e)
    expect(((error as { cause: unknown }).cause as WorkerExitedError).how).toBe('aborted (SIGABRT)')
  }, 30_000)
})
