import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, CallRecursionError, deferReply, replyTo, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// A call from outside any worker starts no chain, whatever its reentrant
// option says: the chain a cycle is reported with begins at the first branch.

const started = stoppedAfterEach<AnyBranch>()

type Ask = { type: 'ask'; via: string[] }

/** `ask` calls the next branch named in `via` and answers with what it answers (or the error it got). */
const relay = fromTransition((n: number, e: Ask) => {
  const [next, ...rest] = e.via
  if (next !== undefined) {
    const token = deferReply()
    call(next, { type: 'ask', via: rest }).then(
      (value) => replyTo(token, value),
      (error: unknown) => replyTo(token, error)
    )
  }
  return n + 1
}, 0)

describe('a call from outside any worker', () => {
  it.each([false, true])('with reentrant: %s, adds nothing before the first branch to the chain of a cycle it leads to', async (reentrant) => {
    started.push(...(await Promise.all(['out-A', 'out-B'].map((name) => startBranch({ logic: relay, name })))))
    const error = (await call('out-A', { type: 'ask', via: ['out-B', 'out-A'] }, { reentrant })) as CallRecursionError
    expect(error).toBeInstanceOf(CallRecursionError)
    expect(error.chain).toEqual(['out-A', 'out-B', 'out-A'])
  })
})
