import { describe, expectTypeOf, it } from 'vitest'
import { call, cast, send, startBranch, type Branch } from '../../src/index'
import { counterMachine, counterReducer } from '../support/logics'

// Checked by `tsc --noEmit` (part of .ci/run); at run time these are no-ops.
describe('types', () => {
  it('a call to a reducer without a reply map resolves with its state type', async () => {
    const branch = await startBranch({ logic: counterReducer })
    expectTypeOf(branch).toEqualTypeOf<Branch<typeof counterReducer, {}>>()
    expectTypeOf(call(branch, { type: 'get' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(branch.state()).toEqualTypeOf<number>()
    await branch.stop()
  })

  it('a reply map types the replies it lists; other events reply with the context', async () => {
    const branch = await startBranch<typeof counterMachine, { get: number }>({ logic: counterMachine, input: { start: 1 } })
    expectTypeOf(call(branch, { type: 'get' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(call(branch, { type: 'inc', by: 2 })).toEqualTypeOf<Promise<{ count: number }>>()
    expectTypeOf(send(branch, { type: 'inc' })).toEqualTypeOf<{ readonly type: 'inc' }>()
    // @ts-expect-error an event the logic does not accept
    void call(branch, { type: 'unknown' }).catch(() => {})
    // @ts-expect-error a payload of the wrong type
    cast(branch, { type: 'inc', by: 'two' })
    await branch.stop()
  })

  it('a call by name resolves with unknown', async () => {
    const reply = call('somebody', { type: 'get', anything: 1 })
    expectTypeOf(reply).toEqualTypeOf<Promise<unknown>>()
    await reply.catch(() => {})
  })
})
