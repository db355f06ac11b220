import { describe, expect, it } from 'vitest'
import { call, cast, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'
import { turns, watch } from '../support/deferred'
import { outsideAnswerer } from './isolated/logics'
import { logicModule } from './isolated/support'

// The call being processed is the reply channel only while its message is delivered: once the
// delivery ends, however it ends, `respond` and `deferReply` from a callback reach no call (the
// courier, in this thread, and an isolated host each restore the channel they replaced).

const started = stoppedAfterEach<AnyBranch>()

describe('respond and deferReply after the delivery of a deferred call', () => {
  it.each([['in this thread', 'none'], ['in a worker thread', 'thread']] as const)('reach no call (%s)', async (_, isolation) => {
    const logic = isolation === 'none' ? { logic: outsideAnswerer } : { logic: logicModule('outsideAnswerer'), isolation }
    const branch = await startBranch(logic)
    started.push(branch)
    const answer = call(branch, { type: 'ask' })
    const asked = watch(answer)
    await turns()
    expect(asked.outcome).toBe('pending')
    cast(branch, { type: 'answer' })
    await expect(answer).resolves.toBe('by token')
    expect(Object.fromEntries(branch._tables().table('outside'))).toEqual({ respond: false, 'same token': false })
  })
})
