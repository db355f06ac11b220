import { describe, expect, it } from 'vitest'
import { assign, fromPromise, setup } from 'xstate'
import { call, callAll, cast, MemoryStore, startBranch, StoreUnavailableError, type AnyBranch, type KeeperStore } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// The commit bookkeeping of a durable branch (Commits), seen from outside:
// with sync durability the next message waits for the newest write, whichever
// ended first; a failed write is one recovery however many writes it fails; a
// branch that stopped reads nothing back; an activation marker is written and
// numbered.

const started = stoppedAfterEach<AnyBranch>()

/** A MemoryStore whose snapshot writes can wait at a gate each, released one at a time, and fail while `down`. */
class GatedStore extends MemoryStore {
  gating = false
  down = false
  loads = 0
  readonly #gates: (() => void)[] = []

  /** Writes waiting at their gate. */
  get waiting(): number {
    return this.#gates.length
  }

  /** Lets the oldest waiting write go on. */
  releaseOne(): void {
    this.#gates.shift()?.()
  }

  override async saveSnapshot(...args: Parameters<KeeperStore['saveSnapshot']>): Promise<boolean> {
    if (this.gating) await new Promise<void>((resolve) => this.#gates.push(resolve))
    if (this.down) throw new StoreUnavailableError('GatedStore', 'saveSnapshot', new Error('connection refused'))
    return super.saveSnapshot(...args)
  }

  override async loadSnapshot(id: string): ReturnType<KeeperStore['loadSnapshot']> {
    this.loads++
    if (this.down) throw new StoreUnavailableError('GatedStore', 'loadSnapshot', new Error('connection refused'))
    return super.loadSnapshot(id)
  }
}

/** Lets promise callbacks and store I/O run a while. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** `go` counts and starts work the test finishes (`finish`), whose end is a state (and a write) of its own; `inc` counts. */
let finish: () => void = () => {}
const worker = setup({
  types: { context: {} as { n: number; done: number }, events: {} as { type: 'go' } | { type: 'inc' } },
  actors: { work: fromPromise(() => new Promise<void>((resolve) => (finish = resolve))) }
}).createMachine({
  context: { n: 0, done: 0 },
  initial: 'idle',
  on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
  states: {
    idle: { on: { go: { target: 'working', actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    working: { invoke: { src: 'work', onDone: { target: 'idle', actions: assign({ done: ({ context }) => context.done + 1 }) } } }
  }
})

describe('a durable branch with sync durability', () => {
  it('the next message waits for the newest write, not the first one to end', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'order' } })
    started.push(branch)
    store.gating = true
    const went = call(branch, { type: 'go' })
    finish() // the work ends while the message's own write is held: a second write, of no message
    while (store.waiting === 0) await turns(1)
    cast(branch, { type: 'inc' })
    expect(branch.state()).toEqual({ n: 1, done: 1 })
    store.releaseOne() // the message's write ends
    while (store.waiting === 0) await turns(1) // the work's write reached the store and waits
    await turns()
    expect(branch.state()).toEqual({ n: 1, done: 1 }) // inc still waits
    store.gating = false
    store.releaseOne()
    await went
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 3, done: 1 })
  })

  it('a callAll batch is one write: the next message waits for it, and its failure is a recovery', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'batch' } })
    started.push(branch)
    store.gating = true
    const batch = callAll(branch, [{ type: 'inc' }, { type: 'inc' }])
    while (store.waiting === 0) await turns(1)
    cast(branch, { type: 'inc' })
    await turns()
    expect(branch.state()).toEqual({ n: 2, done: 0 }) // the cast waits for the batch's write
    store.releaseOne()
    expect(await batch).toEqual({ n: 2, done: 0 })
    while (store.waiting === 0) await turns(1) // the cast went on, its write waits
    expect(branch.state()).toEqual({ n: 3, done: 0 })
    store.gating = false
    store.releaseOne()
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 4, done: 0 })
    store.down = true
    const restarted = new Promise((resolve) => branch.once('restart', resolve))
    const failed = callAll(branch, [{ type: 'inc' }, { type: 'inc' }]).catch((e: unknown) => e)
    expect(await failed).toBeInstanceOf(StoreUnavailableError)
    store.down = false
    await restarted
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 5, done: 0 }) // nothing of the failed batch
  })

  it('two writes failing together are one recovery: the branch restarts once', async () => {
    const clock = new ManualClock()
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'twice' }, clock })
    started.push(branch)
    let restarts = 0
    branch.on('restart', () => restarts++)
    store.gating = true
    const went = call(branch, { type: 'go' }, { timeout: Infinity }).catch((e: unknown) => e)
    finish()
    while (store.waiting === 0) await turns(1)
    await turns()
    store.down = true
    store.gating = false
    store.releaseOne()
    expect(await went).toBeInstanceOf(StoreUnavailableError)
    await turns()
    expect(branch.status).toBe('restarting')
    store.down = false
    while (restarts === 0) {
      clock.advance(100)
      await turns(1)
    }
    await turns()
    clock.advance(10_000)
    await turns()
    expect(restarts).toBe(1)
    expect(await call(branch, { type: 'inc' }, { timeout: Infinity })).toEqual({ n: 1, done: 0 })
  })

  it('a branch stopped while a write is held reads nothing back when that write fails', async () => {
    const store = new GatedStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: 'closed' } })
    started.push(branch)
    store.gating = true
    const went = call(branch, { type: 'inc' }).catch((e: unknown) => e)
    while (store.waiting === 0) await turns(1)
    await branch.stop({ timeout: 0 })
    const loads = store.loads
    store.down = true
    store.gating = false
    store.releaseOne()
    await turns()
    expect(await went).toBeInstanceOf(Error)
    expect(store.loads).toBe(loads)
    expect(branch.status).toBe('stopped')
  })
})

describe('an activation marker (_mark, for cluster pools)', () => {
  it.each(['journal', 'snapshot'] as const)('is written before any message in %s mode and resolves with its sequence number', async (mode) => {
    const store = new MemoryStore()
    const branch = await startBranch({ logic: worker, durable: { store, id: `mark-${mode}`, mode } })
    started.push(branch)
    expect(await branch._mark({ node: 'a', inc: 1 }, '7')).toBe(1)
    const [marker] = await store.read(`mark-${mode}`)
    expect(marker?.payload).toMatchObject({ node: 'a', inc: 1 })
    expect(await call(branch, { type: 'inc' })).toEqual({ n: 1, done: 0 })
  })

  it('a branch that is not durable has nothing to mark', async () => {
    const branch = await startBranch({ logic: worker })
    started.push(branch)
    expect(await branch._mark({ node: 'a', inc: 1 }, '7')).toBeUndefined()
  })
})
