import { describe, expect, it } from 'vitest'
import { assign, fromCallback, setup } from 'xstate'
import { call, cast, startBranch, StoreUnavailableError, type AnyBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { GatedStore } from '../support/stores'
import { turns } from '../support/deferred'

// Messages keep their order across a restart: what was queued while no
// worker was up goes first, before anything the new worker sends its own
// branch as it starts (here an invoked callback casting on start, in a worker
// started from the store after a failed write).

const started = stoppedAfterEach<AnyBranch>()

/** The branch under test, for the callback to cast to. */
const world = { branch: undefined as AnyBranch | undefined }
type Event = { type: 'go' } | { type: 'note'; text: string } | { type: 'get' }
const machine = setup({
  types: { context: {} as { log: readonly string[] }, events: {} as Event },
  actors: {
    greeter: fromCallback(() => {
      if (world.branch) cast(world.branch, { type: 'note', text: 'hello' })
    })
  }
}).createMachine({
  context: { log: [] },
  initial: 'idle',
  on: { note: { actions: assign({ log: ({ context, event }) => [...context.log, event.text] }) } },
  states: {
    idle: { on: { go: 'greeting' } },
    greeting: { invoke: { src: 'greeter' } }
  }
})

describe('messages across a restart', () => {
  it('those queued while no worker was up go before what the new worker sends itself as it starts', async () => {
    const clock = new ManualClock()
    const store = new GatedStore()
    const branch = await startBranch({ logic: machine, durable: { store, id: 'self' }, clock })
    started.push(branch)
    world.branch = branch
    await call(branch, { type: 'go' }) // durable in 'greeting': its callback said hello
    store.down = true
    expect(await call(branch, { type: 'note', text: 'lost' }).catch((e: unknown) => e)).toBeInstanceOf(StoreUnavailableError)
    await turns()
    expect(branch.status).toBe('restarting') // the state is read back from the store, which is down
    cast(branch, { type: 'note', text: 'a' })
    cast(branch, { type: 'note', text: 'b' })
    store.down = false
    clock.advance(100)
    await turns()
    const { log } = (await call(branch, { type: 'get' })) as { log: string[] }
    expect(log).toEqual(['hello', 'a', 'b', 'hello'])
  })
})
