import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { assign, fromPromise, setup } from 'xstate'
import { call, deferReply, MemoryStore, replyTo, startBranch, type AnyBranch, type KeeperStore, type ReplyToken } from '../../src/index'
import { SqliteStore } from '../../src/sqlite'
import { stoppedAfterEach } from '../support/cleanup'
import { HeldStore } from '../support/stores'
import { lateAnswerer } from '../worker/isolated/logics'
import { logicModule } from '../worker/isolated/support'
import { turns, watch } from '../support/deferred'

// A call resolves once the state of the message it answers is as durable as
// the branch promises, however it is answered: with the state, reply,
// respond, or replyTo (from a later transition or from outside any). The
// store underneath is real; only its writes are held at a gate.

const started = stoppedAfterEach<AnyBranch>()
const dir = mkdtempSync(join(tmpdir(), 'keepsake-answers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const stores: Record<string, () => Promise<KeeperStore>> = {
  MemoryStore: async () => new MemoryStore(),
  SqliteStore: () => SqliteStore.open(join(dir, `${Math.random().toString(36).slice(2)}.db`))
}

/** Defers `load` and answers it from the `onDone` of a promise the test settles. */
let finishLoad: (value: string) => void = () => {}
const loader = setup({
  types: { context: {} as { token: ReplyToken | null; loads: number }, events: {} as { type: 'load' } },
  actors: { load: fromPromise(() => new Promise<string>((resolve) => (finishLoad = resolve))) }
}).createMachine({
  context: { token: null, loads: 0 },
  initial: 'idle',
  states: {
    idle: { on: { load: { target: 'loading', actions: assign({ token: () => deferReply(), loads: ({ context }) => context.loads + 1 }) } } },
    loading: {
      invoke: {
        src: 'load',
        onDone: { target: 'idle', actions: [({ context, event }) => replyTo(context.token, event.output), assign({ token: null })] }
      }
    }
  }
})

/** Defers `ask`, keeping its token in the state: whoever reads the state may answer it. */
const asker = setup({ types: { context: {} as { token: ReplyToken | null }, events: {} as { type: 'ask' } } }).createMachine({
  context: { token: null },
  on: { ask: { actions: assign({ token: () => deferReply() }) } }
})

/** The state a fresh start from the real store would get. */
async function stored(store: HeldStore, id: string, logic: Parameters<typeof startBranch>[0]['logic']): Promise<unknown> {
  const branch = await startBranch({ logic, name: `check-${id}-${Math.random()}`, durable: { store: store.inner, id } })
  const state = branch.state()
  await branch.stop()
  return state
}

describe.each(Object.keys(stores))('with durability sync on a %s whose writes are held', (kind) => {
  it.each([['in this thread', 'none'], ['in a worker thread', 'thread']] as const)(
    'a call answered by replyTo from outside a transition (%s) waits for its message to be durable',
    async (_, isolation) => {
      const store = new HeldStore(await stores[kind]!())
      const logic = isolation === 'none' ? { logic: lateAnswerer } : { logic: logicModule('lateAnswerer'), isolation }
      const branch = await startBranch({ ...logic, durable: { store, id: 'late' } })
      started.push(branch)
      await call(branch, { type: 'count' }) // a worker thread is up
      const release = store.hold()
      const asked = watch(call(branch, { type: 'ask' }))
      // The answer was given (from a microtask) and has reached this thread, but the store still holds the previous state.
      while (branch._tables().table('answered').get('asks') !== 1) await turns(1)
      await turns()
      expect(await stored(store, 'late', lateAnswerer)).toEqual({ asks: 0 })
      expect(asked.outcome).toBe('pending')
      release()
      await expect(call(branch, { type: 'count' })).resolves.toBe(1)
      expect(asked.outcome).toEqual({ value: 'answer 1' })
      expect(await stored(store, 'late', lateAnswerer)).toEqual({ asks: 1 })
    }
  )

  it('a call answered by replyTo from a later transition (an invoked promise) waits for both writes', async () => {
    const store = new HeldStore(await stores[kind]!())
    const branch = await startBranch({ logic: loader, durable: { store, id: 'loader' } })
    started.push(branch)
    const release = store.hold()
    const answer = call(branch, { type: 'load' })
    const loading = watch(answer)
    await turns()
    finishLoad('loaded')
    await turns()
    expect(loading.outcome).toBe('pending')
    release()
    await expect(answer).resolves.toBe('loaded')
    expect(await stored(store, 'loader', loader)).toEqual({ token: null, loads: 1 })
  })

  it('a call answered by replyTo from a subscriber of the state, while its message is still being delivered, waits for its write', async () => {
    const store = new HeldStore(await stores[kind]!())
    const branch = await startBranch({ logic: asker, durable: { store, id: 'subscriber' } })
    started.push(branch)
    // The subscriber hears the state the deferring message made before that message ends, and answers from there.
    branch.subscribe((snapshot) => {
      const { token } = snapshot.context
      if (token) replyTo(token, 'heard')
    })
    const release = store.hold()
    const answer = call(branch, { type: 'ask' })
    const asked = watch(answer)
    await turns()
    expect(asked.outcome).toBe('pending')
    release()
    await expect(answer).resolves.toBe('heard')
  })

  it('reply, respond and the state wait for the write too', async () => {
    const store = new HeldStore(await stores[kind]!())
    const branch = await startBranch({ logic: lateAnswerer, durable: { store, id: 'plain' } })
    started.push(branch)
    const release = store.hold()
    const bumped = watch(call(branch, { type: 'bump' }))
    const counted = watch(call(branch, { type: 'count' }))
    await turns()
    expect([bumped.outcome, counted.outcome]).toEqual(['pending', 'pending'])
    release()
    await expect(call(branch, { type: 'count' })).resolves.toBe(1)
    expect([bumped.outcome, counted.outcome]).toEqual([{ value: 'bumped' }, { value: 1 }])
  })
})
