import { describe, expect, it } from 'vitest'
import { assign, fromTransition, setup } from 'xstate'
import { call, callAll, MemoryStore, startBranch, WorkerCrashedError, type AnyBranch } from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'
import { ManualClock } from '../support/ManualClock'

// A `callAll` batch is restored as a whole only while it is being delivered:
// once it ended, a later crash goes back to the kept state, as for any message.

const started = stoppedAfterEach<AnyBranch>()

describe('after a callAll batch', () => {
  it('a later crash restarts from the kept state, not from the state before the batch', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await callAll(branch, [{ type: 'inc' }, { type: 'inc' }])).toBe(2)
    expect(await call(branch, { type: 'inc' })).toBe(3)
    const restarted = new Promise((resolve) => branch.once('restart', resolve))
    branch.kill()
    await restarted
    expect(await call(branch, { type: 'get' })).toBe(3)
  })

  it('a batch that crashes goes back to the state before it, and the next batch is kept whole', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await call(branch, { type: 'inc' })).toBe(1)
    await expect(callAll(branch, [{ type: 'inc' }, { type: 'crash' }])).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await callAll(branch, [{ type: 'inc' }, { type: 'inc' }])).toBe(3)
  })
})

/** Counts `inc`s; `finish` ends it (a final state). */
const finisher = setup({ types: { context: {} as { n: number }, events: {} as { type: 'inc' } | { type: 'finish' } } }).createMachine({
  context: { n: 0 },
  initial: 'on',
  states: { on: { on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) }, finish: 'off' } }, off: { type: 'final' } }
})

describe('a durable callAll batch that ends the machine', () => {
  it.each(['snapshot', 'journal'] as const)('is written before its call resolves (%s mode)', async (mode) => {
    const store = new MemoryStore()
    const branch = await startBranch({ logic: finisher, durable: { store, id: 'ends', mode } })
    await call(branch, { type: 'inc' })
    expect(await callAll(branch, [{ type: 'inc' }, { type: 'finish' }])).toEqual({ n: 2 })
    expect(branch.status).toBe('stopped')
    if (mode === 'journal') expect((await store.read('ends')).map((e) => e.type)).toEqual(['inc', 'inc', 'finish'])
    else expect((await store.loadSnapshot('ends'))?.data).toMatchObject({ status: 'done', context: { n: 2 } })
  })
})

describe('a machine that ends outside a durable batch', () => {
  it('a callAll batch of a branch that is not durable resolves with its last state, and the branch stops normally', async () => {
    const branch = await startBranch({ logic: finisher })
    const stopped = new Promise((resolve) => branch.once('stop', resolve))
    expect(await callAll(branch, [{ type: 'inc' }, { type: 'finish' }])).toEqual({ n: 1 })
    expect(await stopped).toEqual({ kind: 'normal', output: undefined })
  })

  it('a delayed transition to a final state (no message in flight) stops the branch normally', async () => {
    const clock = new ManualClock()
    const timed = setup({ types: { context: {} as { n: number } } }).createMachine({
      context: { n: 0 },
      initial: 'waiting',
      states: { waiting: { after: { 100: 'off' } }, off: { type: 'final' } }
    })
    const branch = await startBranch({ logic: timed, clock })
    const stopped = new Promise((resolve) => branch.once('stop', resolve))
    clock.advance(100)
    expect(await stopped).toEqual({ kind: 'normal', output: undefined })
    expect(branch.status).toBe('stopped')
  })
})

describe('a callAll made while another branch delivers a message', () => {
  it('applies every event of the batch (the chained message keeps its rest)', async () => {
    const counter = await startBranch({ logic: counterReducer })
    const answers: Promise<unknown>[] = []
    const caller = await startBranch({
      logic: fromTransition((sent: number, event: { type: 'go' }) => {
        if (event.type !== 'go') return sent
        answers.push(callAll(counter, [{ type: 'inc' }, { type: 'inc', by: 2 }]))
        return sent + 1
      }, 0)
    })
    started.push(counter, caller)
    await call(caller, { type: 'go' })
    expect(answers).toHaveLength(1)
    expect(await answers[0]).toBe(3)
  })
})
