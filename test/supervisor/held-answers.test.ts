import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, deferReply, MemoryStore, replyTo, respond, startBranch, WorkerCrashedError, type AnyBranch, type ReplyToken } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'
import { HeldStore } from '../support/stores'
import { turns, watch } from '../support/deferred'

// One transition may answer several calls: its own message's call and calls
// that waited for a deferred reply. Every one of those answers is held until
// the transition's state is kept (and durable, for a durable branch), then
// each goes to its own caller; a transition that crashes answers none of them.

const started = stoppedAfterEach<AnyBranch>()

type Event = { type: 'hold' } | { type: 'answer' } | { type: 'crash' } | { type: 'count' }

/**
 * `hold` defers (the tokens wait in the state); `answer` answers its own call and every held one
 * in one transition, each with its own value; `crash` does the same, then throws.
 */
const switchboard = fromTransition(
  (s: { held: readonly ReplyToken[]; answered: number }, e: Event) => {
    if (e.type === 'hold') return { ...s, held: [...s.held, deferReply()] }
    if (e.type === 'count') return s
    respond(`own ${s.answered}`)
    s.held.forEach((token, i) => replyTo(token, `held ${i}`))
    if (e.type === 'crash') throw new Error('after answering')
    return { held: [], answered: s.answered + 1 }
  },
  { held: [] as readonly ReplyToken[], answered: 0 }
)

describe('answers given in one transition', () => {
  it('each of several calls answered in one transition gets its own answer', async () => {
    const branch = await startBranch({ logic: switchboard })
    started.push(branch)
    const first = call(branch, { type: 'hold' })
    const second = call(branch, { type: 'hold' })
    expect(await call(branch, { type: 'answer' })).toBe('own 0')
    expect(await first).toBe('held 0')
    expect(await second).toBe('held 1')
  })

  it('with a durable branch, every one of them waits for the write of that state', async () => {
    const store = new HeldStore(new MemoryStore())
    const branch = await startBranch({ logic: switchboard, durable: { store, id: 'switchboard' } })
    started.push(branch)
    const held = [watch(call(branch, { type: 'hold' })), watch(call(branch, { type: 'hold' }))]
    await call(branch, { type: 'count' })
    const release = store.hold()
    const own = watch(call(branch, { type: 'answer' }))
    while (store.waiting === 0) await turns(1)
    await turns()
    expect([own.outcome, ...held.map((h) => h.outcome)]).toEqual(['pending', 'pending', 'pending'])
    release()
    await call(branch, { type: 'count' })
    expect([own.outcome, ...held.map((h) => h.outcome)]).toEqual([{ value: 'own 0' }, { value: 'held 0' }, { value: 'held 1' }])
  })

  it('a transition that crashes after answering answers none: its own call and the held ones reject', async () => {
    const branch = await startBranch({ logic: switchboard })
    started.push(branch)
    const first = call(branch, { type: 'hold' }).catch((e: unknown) => e)
    const second = call(branch, { type: 'hold' }).catch((e: unknown) => e)
    const crashed = await call(branch, { type: 'crash' }).catch((e: unknown) => e)
    expect(crashed).toBeInstanceOf(WorkerCrashedError)
    expect(await first).toBeInstanceOf(WorkerCrashedError)
    expect(await second).toBeInstanceOf(WorkerCrashedError)
    // The restarted worker answers from the state before the crash, and no answer of the crash is left over.
    expect(await call(branch, { type: 'answer' })).toBe('own 0')
  })
})

describe('an answer given after the transition, while its message is delivered', () => {
  it('respond() from a subscriber of the state answers the call, on a branch that never deferred one', async () => {
    const counter = fromTransition((n: number, e: { type: 'inc' }) => (e.type === 'inc' ? n + 1 : n), 0)
    const branch = await startBranch({ logic: counter })
    started.push(branch)
    const errors: unknown[] = []
    branch.on('listenerError', (error) => errors.push(error))
    branch.subscribe((snapshot) => respond(`heard ${String(snapshot.context)}`))
    expect(await call(branch, { type: 'inc' })).toBe('heard 1')
    expect(errors).toEqual([])
  })
})
