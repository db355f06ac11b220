import { describe, expect, it } from 'vitest'
import { assign, sendTo, setup, type ActorRefFrom } from 'xstate'
import { call, cast, reply, startBranch, WorkerCrashedError, type AnyBranch, type Replies } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// xstate users ask for nested rehydration (statelyai/xstate#4486, #5077): a
// machine that invokes or spawns child machines must come back with their state.

const started = stoppedAfterEach<AnyBranch>()

const child = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } }
}).createMachine({
  context: { count: 0 },
  on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } }
})

type ParentEvent =
  | { type: 'inc' }
  | ({ type: 'get' } & Replies<{ own: number; invoked: number; spawned: number | undefined }>)
  | { type: 'crash' }
  | { type: 'spawnInc' }

const parent = setup({
  types: {
    context: {} as { own: number; spawned: ActorRefFrom<typeof child> | undefined },
    events: {} as ParentEvent
  },
  actors: { child }
}).createMachine({
  context: ({ spawn }) => ({ own: 0, spawned: spawn('child', { id: 'spawned' }) }),
  invoke: { src: 'child', id: 'invoked' },
  on: {
    inc: { actions: [assign({ own: ({ context }) => context.own + 1 }), sendTo('invoked', { type: 'inc' })] },
    spawnInc: { actions: sendTo(({ context }) => context.spawned!, { type: 'inc' }) },
    get: {
      actions: reply(({ context, self }) => ({
        own: context.own,
        invoked: (self.getSnapshot().children.invoked as ActorRefFrom<typeof child>).getSnapshot().context.count,
        spawned: context.spawned?.getSnapshot().context.count
      }))
    },
    crash: {
      actions: () => {
        throw new Error('parent crashed')
      }
    }
  }
})

describe('a machine with child machines', () => {
  it('comes back after a kill with its invoked and spawned children in their states', async () => {
    const branch = await startBranch({ logic: parent })
    started.push(branch)
    for (let i = 0; i < 3; i++) cast(branch, { type: 'inc' })
    cast(branch, { type: 'spawnInc' })
    expect(await call(branch, { type: 'get' })).toEqual({ own: 3, invoked: 3, spawned: 1 })

    const oldChild = branch.worker()?.getSnapshot().children.invoked
    branch.kill()
    expect(await call(branch, { type: 'get' })).toEqual({ own: 3, invoked: 3, spawned: 1 })
    // The children are new actors; the old ones were stopped with their parent.
    expect(branch.worker()?.getSnapshot().children.invoked).not.toBe(oldChild)
    expect(oldChild?.getSnapshot().status).toBe('stopped')

    // The revived references work: the spawned child in context is the live one.
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'spawnInc' })
    expect(await call(branch, { type: 'get' })).toEqual({ own: 4, invoked: 4, spawned: 2 })
  })

  it('comes back after a throwing action with its children, and the errored parent leaves none running', async () => {
    const branch = await startBranch({ logic: parent })
    started.push(branch)
    cast(branch, { type: 'inc' })
    const oldChildren = Object.values(branch.worker()?.getSnapshot().children ?? {})
    expect(oldChildren).toHaveLength(2)

    await expect(call(branch, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(oldChildren.map((c) => c?.getSnapshot().status)).toEqual(['stopped', 'stopped'])
    expect(await call(branch, { type: 'get' })).toEqual({ own: 1, invoked: 1, spawned: 0 })
  })
})
