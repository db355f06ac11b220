import { once } from 'node:events'
import { emit, setup } from 'xstate'
import { describe, expect, it } from 'vitest'
import { call, InvalidOptionError, MemoryStore, startBranch, startPool, startSupervisor, branchSpec, type Branch } from '../../src/index'
import { counterMachine } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

const branches = stoppedAfterEach<{ stop(): Promise<void> }>()

/** A counter whose every state is written before the next message is delivered: a message sent meanwhile waits in the mailbox. */
const startSynced = async () => {
  const branch = await startBranch({ logic: counterMachine, durable: { store: new MemoryStore(), id: 'synced', durability: 'sync' } })
  branches.push(branch)
  return branch
}

describe('call with an AbortSignal', () => {
  it("a queued call rejects with the signal's reason and its message is never delivered", async () => {
    const branch = await startSynced()
    const first = call(branch, { type: 'inc' })
    const controller = new AbortController()
    const second = call(branch, { type: 'inc', by: 10 }, { signal: controller.signal })
    expect(branch._queued).toBe(1)
    const reason = new Error('user left')
    controller.abort(reason)
    await expect(second).rejects.toBe(reason)
    await first
    await expect(call(branch, { type: 'get' })).resolves.toBe(1)
  })

  it("an already aborted signal rejects at once with its reason (an AbortError DOMException by default) and queues nothing", async () => {
    const branch = await startSynced()
    const error = await call(branch, { type: 'inc' }, { signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('AbortError')
    expect(branch._queued).toBe(0)
    await expect(call(branch, { type: 'get' })).resolves.toBe(0)
  })

  it('a settled call forgets its signal: a late abort changes nothing', async () => {
    const branch = await startSynced()
    const controller = new AbortController()
    await expect(call(branch, { type: 'inc' }, { signal: controller.signal })).resolves.toEqual({ count: 1 })
    controller.abort()
    await expect(call(branch, { type: 'get' })).resolves.toBe(1)
  })

  it('a pool call aborted while its key starts is never delivered', async () => {
    const pool = await startPool({ logic: counterMachine, durable: { store: new MemoryStore(), durability: 'sync' } })
    branches.push(pool)
    const controller = new AbortController()
    const aborted = pool.call('k', { type: 'inc' }, { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    await expect(pool.call('k', { type: 'get' })).resolves.toBe(0)
  })

  it('a signal that is not an AbortSignal is a typed error', async () => {
    const branch = await startSynced()
    await expect(call(branch, { type: 'get' }, { signal: 'stop' as never })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})

describe('await using, and Node events on a branch', () => {
  it('Symbol.asyncDispose stops branches, supervisors and pools', async () => {
    const branch = await startBranch({ logic: counterMachine })
    const supervisor = await startSupervisor({ children: [branchSpec({ id: 'c', branch: { logic: counterMachine } })] })
    const pool = await startPool({ logic: counterMachine })
    await branch[Symbol.asyncDispose]()
    await supervisor[Symbol.asyncDispose]()
    await pool[Symbol.asyncDispose]()
    expect([branch.status, supervisor.status, pool.supervisor.status]).toEqual(['stopped', 'stopped', 'stopped'])
  })

  it('await using stops the branch at the end of the block', async () => {
    let kept: Branch<typeof counterMachine> | undefined
    {
      await using branch = await startBranch({ logic: counterMachine })
      kept = branch
      expect(branch.status).toBe('running')
    }
    expect(kept?.status).toBe('stopped')
  })

  it("Node's events.once waits for a branch's event and an emitted one, and removes what it added", async () => {
    const beeper = setup({ types: { events: {} as { type: 'beep' } | { type: 'crash' }, emitted: {} as { type: 'beeped' } } }).createMachine({
      on: {
        beep: { actions: emit({ type: 'beeped' as const }) },
        crash: { actions: () => { throw new Error('crash') } }
      }
    })
    const branch = await startBranch({ logic: beeper })
    branches.push(branch)
    // Node types events.once for EventEmitters and EventTargets; a branch has the on/once/removeListener it uses.
    const emitter = branch as unknown as NodeJS.EventEmitter
    const restarted = once(emitter, 'restart')
    branch.cast({ type: 'crash' })
    const [report] = await restarted
    expect(report).toMatchObject({ incarnation: 2 })
    const beeped = once(emitter, 'beeped')
    branch.cast({ type: 'beep' })
    await expect(beeped).resolves.toEqual([{ type: 'beeped' }])
    const controller = new AbortController()
    const waiting = once(emitter, 'beeped', { signal: controller.signal })
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    // Its 'error' and 'beeped' handlers are gone: a beep now reaches no one left behind by once().
    const seen: string[] = []
    branch.on('*', (event) => seen.push(event.type))
    branch.cast({ type: 'beep' })
    expect(seen).toEqual(['beeped'])
  })
})
