import { describe, expect, it } from 'vitest'
import { emit, setup } from 'xstate'
import { cast, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// What a logic emits reaches each listener once, however many listeners come
// and whether they came before or after a restart: each incarnation forwards
// its actor's emitted events to the branch once.

const started = stoppedAfterEach<AnyBranch>()

const beeper = setup({ types: { events: {} as { type: 'beep' } | { type: 'crash' }, emitted: {} as { type: 'beeped' } } }).createMachine({
  on: {
    beep: { actions: emit({ type: 'beeped' }) },
    crash: {
      actions: () => {
        throw new Error('crash')
      }
    }
  }
})

describe('emitted events', () => {
  it('reach each listener once, before and after a restart', async () => {
    const branch = await startBranch({ logic: beeper })
    started.push(branch)
    const heard: string[] = []
    branch.on('beeped', () => heard.push('first'))
    branch.on('beeped', () => heard.push('second'))
    branch.on('*', () => heard.push('any'))
    cast(branch, { type: 'beep' })
    expect(heard).toEqual(['first', 'second', 'any'])
    cast(branch, { type: 'crash' })
    expect(branch.children()[1]).toMatchObject({ restarts: 1 })
    branch.on('beeped', () => heard.push('third'))
    heard.length = 0
    cast(branch, { type: 'beep' })
    expect(heard).toEqual(['first', 'second', 'third', 'any'])
  })
})
