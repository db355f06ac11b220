import { Worker as Thread } from 'node:worker_threads'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, cast, startBranch, type AnyBranch } from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule } from './support'

const started = stoppedAfterEach<AnyBranch>()

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a message to a worker in a thread', () => {
  it('is answered by one message back: the state it left, carrying its end', async () => {
    const branch = await startBranch({ logic: logicModule('counterMachine'), isolation: 'thread' })
    started.push(branch)
    const emit = Thread.prototype.emit
    const back: unknown[] = []
    vi.spyOn(Thread.prototype, 'emit').mockImplementation(function (this: Thread, name: string | symbol, ...args: unknown[]) {
      if (name === 'message') back.push(args[0])
      return emit.call(this, name, ...args)
    })
    expect(await call(branch, { type: 'get' })).toBe(0)
    expect(back).toEqual([expect.objectContaining({ t: 'snapshot', d: true, p: true, answers: [[expect.any(Number), 0]] })])
    back.length = 0
    cast(branch, { type: 'inc' })
    expect(await call(branch, { type: 'get' })).toBe(1)
    expect(back.map((m) => (m as { t: string; p?: true }).p)).toEqual([true, true])
  })
})
