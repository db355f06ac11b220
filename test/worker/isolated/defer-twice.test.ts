import { describe, expect, it } from 'vitest'
import { call, cast, startBranch, type AnyBranch } from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule } from './support'

// A second deferReply in one message gets the call's token again, on the far side of the border
// too: the host stores one token per call, and forgets it once the call is answered.

const started = stoppedAfterEach<AnyBranch>()

describe('deferReply twice in one message, isolated', () => {
  it.each(['thread', 'process'] as const)("in isolation '%s' returns the same token and leaves none behind", async (isolation) => {
    const branch = await startBranch({ logic: logicModule('deferTwice'), isolation })
    started.push(branch)
    const before = (await call(branch, { type: 'count' })) as number
    const asked = call(branch, { type: 'ask' })
    expect(await call(branch, { type: 'count' })).toBe(before + 1)
    cast(branch, { type: 'answer' })
    expect(await asked).toBe('one token')
    expect(await call(branch, { type: 'count' })).toBe(before)
  })

  it("a call answered, then deferred in the same message, stores no token (isolation 'thread')", async () => {
    const branch = await startBranch({ logic: logicModule('deferTwice'), isolation: 'thread' })
    started.push(branch)
    const before = (await call(branch, { type: 'count' })) as number
    expect(await call(branch, { type: 'answerThenDefer' })).toBe('now')
    expect(await call(branch, { type: 'count' })).toBe(before)
  })
})
