import { Worker as Thread } from 'node:worker_threads'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, cast, startBranch, type AnyBranch } from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule } from './support'

const started = stoppedAfterEach<AnyBranch>()

afterEach(() => {
  vi.restoreAllMocks()
})

/** What the threads send to this one from now on (the host's messages). */
function spyOnMessages(): unknown[] {
  const emit = Thread.prototype.emit
  const back: unknown[] = []
  vi.spyOn(Thread.prototype, 'emit').mockImplementation(function (this: Thread, name: string | symbol, ...args: unknown[]) {
    if (name === 'message') back.push(args[0])
    return emit.call(this, name, ...args)
  })
  return back
}

describe('a message to a worker in a thread', () => {
  it('is answered by one message back: the state it left, carrying its end', async () => {
    const branch = await startBranch({ logic: logicModule('counterMachine'), isolation: 'thread' })
    started.push(branch)
    const back = spyOnMessages()
    expect(await call(branch, { type: 'get' })).toBe(0)
    // A state that changed nothing and answered the call: the flat form, no context key.
    expect(back).toEqual([{ t: 'called', inc: expect.any(Number), ref: expect.any(Number), answer: 0 }])
    back.length = 0
    cast(branch, { type: 'inc' })
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(back).toEqual([expect.objectContaining({ t: 'snapshot', p: true }), expect.objectContaining({ t: 'called' })])
  })

  it('that sets one field and answers crosses flat; the parent holds the same state as the host', async () => {
    const branch = await startBranch({ logic: logicModule('tally'), isolation: 'thread' })
    started.push(branch)
    const back = spyOnMessages()
    expect(await call(branch, { type: 'get' })).toEqual({ calls: 1 })
    expect(await call(branch, { type: 'get' })).toEqual({ calls: 2 })
    expect(back).toEqual([
      { t: 'called', inc: expect.any(Number), ref: expect.any(Number), answer: { calls: 1 }, key: 'calls', value: 1 },
      { t: 'called', inc: expect.any(Number), ref: expect.any(Number), answer: { calls: 2 }, key: 'calls', value: 2 }
    ])
    const kept = branch.getSnapshot() as { status: string; context: { calls: number; kept: { note: string } } }
    expect(kept).toMatchObject({ status: 'active', context: { calls: 2, kept: { note: 'untouched' } } })
    expect(Object.isFrozen(kept.context)).toBe(true)
  })

  it('that only assigns brings the context\'s change alone; the parent keeps the rest of the state it holds', async () => {
    const branch = await startBranch({ logic: logicModule('finisher'), isolation: 'thread' })
    started.push(branch)
    const back = spyOnMessages()
    cast(branch, { type: 'inc' })
    await call(branch, { type: 'inc' })
    expect(back).toEqual([expect.objectContaining({ context: [['s', ['count'], 1]] }), expect.objectContaining({ context: [['s', ['count'], 2]] })])
    expect(back.some((m) => 'snapshot' in (m as object))).toBe(false)
    expect(branch.getSnapshot()).toMatchObject({ status: 'active', value: 'counting', context: { count: 2 } })
    back.length = 0
    await call(branch, { type: 'finish' })
    expect(back[0]).toEqual(expect.objectContaining({ snapshot: expect.objectContaining({ status: 'done', value: 'finished', output: 2 }) }))
    expect(branch.getSnapshot()).toMatchObject({ status: 'done', value: 'finished', output: 2, context: { count: 2 } })
  })
})
