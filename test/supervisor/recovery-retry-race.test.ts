import { describe, expect, it } from 'vitest'
import { assign, fromCallback, setup } from 'xstate'
import { branchSpec, call, startBranch, startSupervisor, StoreUnavailableError, transfer, type AnyBranch, type Supervisor } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { GatedStore } from '../support/stores'
import { turns } from '../support/deferred'

// A worker that crashes as it starts is tried again from the event loop. If a
// write fails meanwhile, the branch reads its state back from the store and
// starts the next worker from there: the retry must not start one too, or a
// worker nobody stops keeps running (its invoked actors with it).

const started = stoppedAfterEach<AnyBranch | Supervisor>()

/** A device whose listener (an invoked callback) fails to start while `device.failing`; `running` counts listeners not yet disposed. */
const device = { failing: false, running: 0 }
const machine = setup({
  types: { context: {} as { n: number }, events: {} as { type: 'go' } | { type: 'get' } },
  actors: {
    listen: fromCallback(() => {
      if (device.failing) throw new Error('device not ready')
      device.running++
      return () => void device.running--
    })
  }
}).createMachine({
  context: { n: 0 },
  initial: 'idle',
  states: {
    idle: { on: { go: { target: 'listening', actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    listening: { invoke: { src: 'listen' } }
  }
})

describe('a retried start and a failed write', () => {
  it('a worker retried after crashing as it started is not started beside the one recovery starts', async () => {
    const clock = new ManualClock()
    const store = new GatedStore()
    const branch = await startBranch({ logic: machine, durable: { store, id: 'race' }, clock, intensity: { maxRestarts: 100, maxSeconds: 1 } })
    started.push(branch)
    store.gating = true
    const went = call(branch, { type: 'go' }, { timeout: Infinity }).catch((e: unknown) => e)
    while (store.waiting === 0) await turns(1)
    expect(device.running).toBe(1)
    device.failing = true
    branch.kill() // restarted from the kept state (listening): its listener fails to start, so it is tried again from the event loop
    device.failing = false
    store.down = true
    store.gating = false
    store.releaseOne() // meanwhile the write of 'go' fails: the state is read back from the store
    expect(await went).toBeInstanceOf(StoreUnavailableError)
    await turns()
    // The retry did not start a worker from a state the store does not hold: the branch waits for the read-back.
    expect(branch.status).toBe('restarting')
    expect(branch.worker()).toBeUndefined()
    store.down = false
    for (let i = 0; i < 10; i++) {
      clock.advance(100)
      await turns()
    }
    expect(branch.status).toBe('running')
    expect(branch.state()).toEqual({ n: 0 }) // what the store holds: 'go' was never durable
    const worker = branch.worker()
    await branch.stop()
    expect(worker?.getSnapshot().status).toBe('stopped')
  })

  it('a branch transferred while it reads its state back after a failed write starts one worker, from the store', async () => {
    const clock = new ManualClock()
    const store = new GatedStore()
    const [from, to] = [await startSupervisor({ id: 'from' }), await startSupervisor({ id: 'to' })]
    started.push(from, to)
    const branch = (await from.startChild(branchSpec({ id: 'moved', branch: { logic: machine, durable: { store, id: 'moved' }, clock } }))) as AnyBranch
    store.gating = true
    const went = call(branch, { type: 'go' }, { timeout: Infinity }).catch((e: unknown) => e)
    while (store.waiting === 0) await turns(1)
    const listening = device.running
    store.down = true
    store.gating = false
    store.releaseOne() // the write of 'go' fails: the worker goes, the state is read back (the store is down: retried on the clock)
    expect(await went).toBeInstanceOf(StoreUnavailableError)
    expect(device.running).toBe(listening - 1)
    await transfer(branch, from, to)
    // The move must not start a worker from the state the store refused: the read-back starts the next one.
    expect(branch.worker()).toBeUndefined()
    expect(device.running).toBe(listening - 1)
    store.down = false
    for (let i = 0; i < 10 && branch.status !== 'running'; i++) {
      clock.advance(100)
      await turns()
    }
    expect(branch.status).toBe('running')
    expect(branch.state()).toEqual({ n: 0 }) // what the store holds: 'go' was never durable
    expect(device.running).toBe(listening - 1) // idle: no listener; none left running by a second worker
    await expect(call(branch, { type: 'go' })).resolves.toEqual({ n: 1 })
  })

  it('a branch transferred while a crashed start waits for its retry runs the worker of the move only: the retry starts none beside it', async () => {
    const [from, to] = [await startSupervisor({ id: 'retry-from' }), await startSupervisor({ id: 'retry-to' })]
    started.push(from, to)
    const branch = (await from.startChild(branchSpec({ id: 'retried', branch: { logic: machine, intensity: { maxRestarts: 100, maxSeconds: 1 } } }))) as AnyBranch
    await call(branch, { type: 'go' })
    device.failing = true
    branch.kill() // restarted from the kept state (listening): its listener fails to start, so it is tried again from the event loop
    device.failing = false
    expect(branch.status).toBe('restarting')
    await transfer(branch, from, to) // the move comes before the retry, and starts a worker from the kept state
    const moved = branch.worker()
    expect(moved).toBeDefined()
    await turns()
    // The retry started no second worker (which would replace the move's, leaving it running, stopped by no one).
    expect(branch.worker()).toBe(moved)
    expect(branch.children()[1]).toMatchObject({ status: 'running', incarnation: 3, restarts: 2 })
    expect(await call(branch, { type: 'get' })).toEqual({ n: 1 })
    await branch.stop()
    expect(moved?.getSnapshot().status).toBe('stopped')
  })
})
