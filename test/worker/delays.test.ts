import { describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { call, cast, startBranch, type AnyBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// xstate does not carry delayed events over when it restores an actor: a
// machine restarted while waiting in a state with `after` would wait forever.

const started = stoppedAfterEach<AnyBranch>()

const watchdog = setup({
  types: { context: {} as { timeouts: number }, events: {} as { type: 'arm' } | { type: 'disarm' } | { type: 'get' } }
}).createMachine({
  context: { timeouts: 0 },
  initial: 'idle',
  states: {
    idle: { on: { arm: 'waiting' } },
    waiting: {
      after: { 1000: { target: 'idle', actions: assign({ timeouts: ({ context }) => context.timeouts + 1 }) } },
      on: { disarm: 'idle' }
    }
  }
})

describe('delayed events pending at a crash', () => {
  it('fire in the restarted worker', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: watchdog, clock })
    started.push(branch)
    cast(branch, { type: 'arm' })
    clock.advance(400)
    branch.kill()
    expect(branch.worker()?.getSnapshot().value).toBe('waiting')
    clock.advance(1000)
    expect(branch.worker()?.getSnapshot().value).toBe('idle')
    expect(await call(branch, { type: 'get' })).toEqual({ timeouts: 1 })
  })

  it('are still cancelled when the restarted worker leaves the state', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: watchdog, clock })
    started.push(branch)
    cast(branch, { type: 'arm' })
    branch.kill()
    expect(clock.pending).toBe(1)
    cast(branch, { type: 'disarm' })
    expect(clock.pending).toBe(0)
    clock.advance(5000)
    expect(await call(branch, { type: 'get' })).toEqual({ timeouts: 0 })
  })
})
