import { describe, expect, it } from 'vitest'
import { assign, fromTransition, setup } from 'xstate'
import {
  call,
  cast,
  deferReply,
  InvalidOptionError,
  MemoryStore,
  replyTo,
  send,
  startBranch,
  WorkerCrashedError,
  type AnyBranch,
  type ReplyToken
} from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { FlakyStore } from '../support/stores'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

type Event = { type: 'add'; n: number } | { type: 'get' } | { type: 'hold' } | { type: 'crash' }
let held: ReplyToken | undefined
const counter = fromTransition((total: number, e: Event) => {
  if (e.type === 'crash') throw new Error('crash')
  if (e.type === 'hold') held = deferReply()
  return e.type === 'add' ? total + e.n : total
}, 0)

async function idleBranch(idleTimeout = 1000, extra: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const branch = await startBranch({ logic: counter, clock, idleTimeout, ...extra })
  started.push(branch)
  const events: string[] = []
  branch.on('passivate', () => events.push('passivate')).on('activate', () => events.push('activate'))
  return { clock, branch, events }
}

describe('idle passivation', () => {
  it('goes idle, passivates, is called, and answers with the right state', async () => {
    const { clock, branch, events } = await idleBranch()
    const reports: unknown[] = []
    branch.on('passivate', (r) => reports.push(['passivate', r])).on('activate', (r) => reports.push(['activate', r]))
    await call(branch, { type: 'add', n: 5 })
    clock.advance(999)
    expect(branch.status).toBe('running')
    clock.advance(1)
    expect(branch.status).toBe('passivated')
    expect(branch.worker()).toBeUndefined()
    expect(branch.state()).toBe(5)
    expect(branch.children()[1]).toMatchObject({ status: 'passivated', restarts: 0 })
    expect(await call(branch, { type: 'add', n: 1 })).toBe(6)
    expect(branch.status).toBe('running')
    expect(events).toEqual(['passivate', 'activate'])
    expect(reports).toEqual([
      ['passivate', { branchId: branch.id, incarnation: 1 }],
      ['activate', { branchId: branch.id, incarnation: 2 }]
    ])
  })

  it('each message postpones it; it comes again after the next idle period', async () => {
    const { clock, branch, events } = await idleBranch()
    clock.advance(600)
    cast(branch, { type: 'add', n: 1 })
    clock.advance(600)
    expect(branch.status).toBe('running')
    clock.advance(400)
    expect(branch.status).toBe('passivated')
    send(branch, { type: 'add', n: 1 })
    expect(branch.status).toBe('running')
    expect(branch.state()).toBe(2)
    clock.advance(1000)
    expect(events).toEqual(['passivate', 'activate', 'passivate'])
  })

  it('1,000 concurrent calls to a passivated branch start one worker', async () => {
    const { clock, branch, events } = await idleBranch()
    clock.advance(1000)
    const incarnation = branch.children()[1]
    const answers = await Promise.all(Array.from({ length: 1000 }, () => call(branch, { type: 'add', n: 1 })))
    expect(answers.at(-1)).toBe(1000)
    expect(events).toEqual(['passivate', 'activate'])
    expect(branch.children()[1]).toMatchObject({ incarnation: (incarnation as { incarnation: number }).incarnation + 1 })
  })

  it('does not let go of a worker awaiting a deferred reply, or running a timer of its own', async () => {
    const { clock, branch } = await idleBranch()
    const pending = call(branch, { type: 'hold' }, { timeout: Infinity })
    clock.advance(5000)
    expect(branch.status).toBe('running')
    replyTo(held, 'done')
    expect(await pending).toBe('done')
    clock.advance(1000)
    expect(branch.status).toBe('passivated')

    const ticker = setup({ types: { context: {} as { ticks: number } } }).createMachine({
      context: { ticks: 0 },
      initial: 'waiting',
      states: { waiting: { after: { 5000: { target: 'done', actions: assign({ ticks: 1 }) } } }, done: {} }
    })
    const machine = await startBranch({ logic: ticker, clock, idleTimeout: 1000 })
    started.push(machine)
    clock.advance(4000)
    expect(machine.status).toBe('running') // its own `after` is pending
  })

  it('a crash after activation restarts from the kept state, as ever', async () => {
    const { clock, branch } = await idleBranch()
    await call(branch, { type: 'add', n: 3 })
    clock.advance(1000)
    await expect(call(branch, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await call(branch, { type: 'get' })).toBe(3)
  })

  it('stopping a passivated branch leaves nothing scheduled', async () => {
    const { clock, branch } = await idleBranch()
    clock.advance(1000)
    expect(branch.status).toBe('passivated')
    expect(clock.pending).toBe(0) // a passivated branch holds no timer
    await branch.stop()
    expect(branch.status).toBe('stopped')
    expect(branch.state()).toBe(0)
  })

  it('with a durable keeper: its writes are settled before it lets go, and it survives a restart while idle', async () => {
    const store = new FlakyStore()
    const durable = { store, id: 'idle-counter', durability: 'batched' as const }
    const { clock, branch } = await idleBranch(1000, { durable })
    const release = store.hold()
    cast(branch, { type: 'add', n: 42 })
    clock.advance(1000)
    expect(branch.status).toBe('running') // the write is held
    const passivated = new Promise((resolve) => branch.once('passivate', resolve))
    release()
    await passivated
    expect(branch.status).toBe('passivated')
    expect((await store.loadSnapshot('idle-counter'))?.data).toMatchObject({ context: 42 })

    // Another process (another branch on the same store) finds the state.
    const again = await startBranch({ logic: counter, durable: { store, id: 'idle-counter' } })
    started.push(again)
    expect(again.state()).toBe(42)
  })

  it('a durable branch comes back from memory on the next message, and keeps writing', async () => {
    const store = new MemoryStore()
    const { clock, branch } = await idleBranch(1000, { durable: { store, id: 'idle-sync' } })
    await call(branch, { type: 'add', n: 1 })
    clock.advance(1000)
    await new Promise<void>((resolve) => (branch.status === 'passivated' ? resolve() : branch.once('passivate', () => resolve())))
    expect(await call(branch, { type: 'add', n: 1 })).toBe(2)
    expect((await store.loadSnapshot('idle-sync'))?.data).toMatchObject({ context: 2 })
  })

  it('rejects a bad idleTimeout', async () => {
    await expect(startBranch({ logic: counter, idleTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startBranch({ logic: counter, idleTimeout: 'soon' as never })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})
