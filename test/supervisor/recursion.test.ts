import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import {
  call,
  CallRecursionError,
  CallTimeoutError,
  cast,
  deferReply,
  InvalidOptionError,
  replyTo,
  respond,
  startBranch,
  type AnyBranch
} from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

type Ask = { type: 'ask'; via: string[]; reentrant?: boolean }
type Loop = { type: 'loop'; self: string; reentrant?: boolean }
type Ping = { type: 'ping'; to: string; back: string; reentrant?: boolean }

let hops = 0

/**
 * `ask` calls the next branch named in `via` (answering with what it
 * answers, or the error it got); the last one answers 'done'. `loop` makes
 * the same deduplicated call to its own branch and waits for it. `ping`
 * calls `to`, which pings back, for ever (bounded at 1,000 hops).
 */
const relay = fromTransition((n: number, e: Ask | Loop | Ping) => {
  const forward = (target: string, event: Ask | Loop | Ping, options: object) => {
    const token = deferReply()
    call(target, event, { timeout: 1000, ...options }).then(
      (value) => replyTo(token, value),
      (error: unknown) => replyTo(token, error)
    )
  }
  if (e.type === 'ask') {
    const [next, ...rest] = e.via
    if (next === undefined) respond('done')
    else forward(next, { type: 'ask', via: rest, ...(e.reentrant ? { reentrant: true } : {}) }, { reentrant: e.reentrant })
  } else if (e.type === 'loop') {
    forward(e.self, e, { dedupe: true, reentrant: e.reentrant })
  } else if (++hops < 1000) {
    forward(e.to, { ...e, to: e.back, back: e.to }, { reentrant: e.reentrant })
  }
  return n + 1
}, 0)

async function relays(...ids: string[]) {
  const clock = new ManualClock()
  const branches = await Promise.all(ids.map((name) => startBranch({ logic: relay, name, clock })))
  started.push(...branches)
  return { clock, branches }
}

/** A call from outside any worker. */
function ask(name: string, event: Ask | Loop | Ping, options: object = {}) {
  return call(name, event, { timeout: 5000, ...options })
}

describe('recursion guard', () => {
  it('a self-call is rejected at once, naming the chain', async () => {
    await relays('A')
    const error = (await ask('A', { type: 'ask', via: ['A'] })) as CallRecursionError
    expect(error).toBeInstanceOf(CallRecursionError)
    expect(error.chain).toEqual(['A', 'A'])
    expect(error.message).toContain('A -> A')
  })

  it('a two-branch cycle is rejected at once, not at the timeout', async () => {
    const { clock } = await relays('A', 'B')
    const error = (await ask('A', { type: 'ask', via: ['B', 'A'] })) as CallRecursionError
    expect(error).toBeInstanceOf(CallRecursionError)
    expect(error.chain).toEqual(['A', 'B', 'A'])
    expect(clock.now()).toBe(0)
  })

  it('a chain that does not come back is allowed; so are calls from outside and casts', async () => {
    await relays('A', 'B', 'C')
    expect(await ask('A', { type: 'ask', via: ['B', 'C'] })).toBe('done')
    expect(await ask('A', { type: 'ask', via: [] })).toBe('done')
    cast('A', { type: 'ask', via: ['B'] })
  })

  it('reentrant: a self-call queues behind the message being processed and is answered after it', async () => {
    await relays('A')
    expect(await ask('A', { type: 'ask', via: ['A'], reentrant: true })).toBe('done')
  })

  it('what waits: a deduplicated self-call joins its own execution and waits on itself until its timeout', async () => {
    const { clock } = await relays('A')
    const guarded = await ask('A', { type: 'loop', self: 'A' }, { dedupe: true })
    expect(guarded).toBeInstanceOf(CallRecursionError) // at once

    const waiting = ask('A', { type: 'loop', self: 'A', reentrant: true }, { dedupe: true })
    clock.advance(1000) // the inner call's timeout: it waited on itself the whole time
    expect(await waiting).toBeInstanceOf(CallTimeoutError)
  })

  it('what loops: two workers that call each other on every message ping-pong synchronously without end', async () => {
    await relays('A', 'B')
    hops = 0
    const guarded = await ask('A', { type: 'ping', to: 'B', back: 'A' })
    expect(hops).toBe(2) // A pinged B; B's ping back was rejected
    expect(guarded).toBeInstanceOf(CallRecursionError)

    hops = 0
    void ask('A', { type: 'ping', to: 'B', back: 'A', reentrant: true }).catch(() => {})
    expect(hops).toBe(1000) // all in one synchronous burst, stopped only by the test's bound
  })

  it('rejects a bad reentrant option', async () => {
    await relays('A')
    await expect(call('A', { type: 'ask', via: [] }, { reentrant: 'yes' as never })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})
