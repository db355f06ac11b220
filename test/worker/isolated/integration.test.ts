import { describe, expect, it } from 'vitest'
import {
  branchSpec,
  BranchStoppedError,
  call,
  cast,
  startBranch,
  startSupervisor,
  transfer,
  whereis,
  type AnyBranch,
  type StopReason,
  type Supervisor
} from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule, next } from './support'

const branches = stoppedAfterEach<AnyBranch>()
const supervisors = stoppedAfterEach<Supervisor>()

describe('an isolated branch in the rest of keepsake', () => {
  it('a final state stops it normally with its output', async () => {
    const branch = await startBranch({ logic: logicModule('finisher'), isolation: 'thread' })
    branches.push(branch)
    const stopped = next<StopReason>(branch, 'stop')
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'inc' })
    await call(branch, { type: 'finish' })
    expect(await stopped).toEqual({ kind: 'normal', output: 2 })
  })

  it("a delayed transition pending when the worker dies is rescheduled in the next one", async () => {
    const branch = await startBranch({ logic: logicModule('finisher'), isolation: 'thread' })
    branches.push(branch)
    await call(branch, { type: 'time' })
    branch.kill()
    const changed = next<{ count: number }>(branch, 'state')
    expect(await changed).toEqual({ count: 100 })
  })

  it('stopping it while a message is processed rejects that call and ends the thread', async () => {
    const branch = await startBranch({ logic: logicModule('device'), isolation: 'thread' })
    const hung = call(branch, { type: 'hang' }, { timeout: 20_000 })
    await branch.stop()
    await expect(hung).rejects.toBeInstanceOf(BranchStoppedError)
  })

  it('moves between supervisors with its state (transfer)', async () => {
    const a = await startSupervisor({ id: 'iso-a' })
    const b = await startSupervisor({ id: 'iso-b' })
    supervisors.push(a, b)
    const spec = branchSpec({ branch: { logic: logicModule('counterReducer'), name: 'moved', isolation: 'thread' } })
    await a.startChild(spec)
    cast('moved', { type: 'inc' })
    await transfer('moved', a, b)
    cast('moved', { type: 'inc' })
    expect(await call('moved', { type: 'get' }, { timeout: 20_000 })).toBe(2) // the busy thread was ended: a new one boots
    expect(b.whichChildren().map((c) => c.id)).toEqual(['moved'])
  })

  it("a move between the message's state and its end applies it once, and answers its call", async () => {
    const branch = await startBranch({ logic: logicModule('counterReducer'), isolation: 'thread' })
    branches.push(branch)
    expect(await call(branch, { type: 'get' })).toBe(0)
    // The state of the inc is kept; its end ('processed') is still on its way: move the branch now,
    // as a transfer does (suspend, then resume from the kept image), in that very window.
    branch.once('state', () => branch._resume(branch._suspend()))
    expect(await call(branch, { type: 'inc' }, { timeout: 20_000 })).toBe(1)
    expect(await call(branch, { type: 'get' }, { timeout: 20_000 })).toBe(1)
  })

  it('a supervisor restarts it with its state (keepState), its module named relative to the spec', async () => {
    const sup = await startSupervisor({
      id: 'iso-sup',
      children: [branchSpec({ branch: { logic: { module: './logics.ts', export: 'counterReducer' }, name: 'kept', isolation: 'process', intensity: { maxRestarts: 0 } }, keepState: true })]
    })
    supervisors.push(sup)
    const first = whereis('kept') as AnyBranch
    cast(first, { type: 'inc' })
    expect(await call(first, { type: 'get' })).toBe(1)
    const restarted = new Promise((resolve) => sup.once('restart', resolve))
    first.kill() // maxRestarts 0: the branch gives up, the supervisor starts it again
    await restarted
    const second = whereis('kept') as AnyBranch
    expect(second).not.toBe(first)
    expect(await call(second, { type: 'get' }, { timeout: 20_000 })).toBe(1)
  })

  it('passivates when idle and comes back with its state', async () => {
    const branch = await startBranch({ logic: logicModule('counterReducer'), isolation: 'thread', idleTimeout: 50 })
    branches.push(branch)
    await call(branch, { type: 'inc' })
    await next(branch, 'passivate')
    expect(branch.status).toBe('passivated')
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(branch.status).toBe('running')
  })
  it('stopped while passivated, it is restarted by its supervisor with keepState from the state it kept', async () => {
    const sup = await startSupervisor({
      children: [branchSpec({ id: 'idle', branch: { logic: logicModule('counterReducer'), isolation: 'thread', idleTimeout: 50 }, keepState: true })]
    })
    supervisors.push(sup)
    const first = sup.whichChildren()[0]?.child as AnyBranch
    await call(first, { type: 'inc' })
    await next(first, 'passivate')
    const restarted = new Promise<void>((resolve) => sup.once('restart', () => resolve()))
    await first.stop()
    await restarted
    const second = sup.whichChildren()[0]?.child as AnyBranch
    expect(second).not.toBe(first)
    expect(await call(second, { type: 'get' }, { timeout: 20_000 })).toBe(1)
  })

  it("takes handlers of emitted events, before and after a restart (its worker, in another thread, passes none on)", async () => {
    const branch = await startBranch({ logic: logicModule('counterReducer'), isolation: 'thread' })
    branches.push(branch)
    const heard: unknown[] = []
    branch.on('*', (event) => heard.push(event))
    await call(branch, { type: 'inc' })
    branch.kill() // the next worker starts with a handler already there
    expect(await call(branch, { type: 'get' }, { timeout: 20_000 })).toBe(1)
    expect(branch.children()[1]).toMatchObject({ status: 'running', incarnation: 2 })
    expect(heard).toEqual([])
  })
})
