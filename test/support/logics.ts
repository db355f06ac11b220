import { assign, fromTransition, setup } from 'xstate'
import { reply, type Replies } from '../../src/index'

export type CounterEvent =
  | { type: 'inc'; by?: number }
  | ({ type: 'get' } & Replies<number>)
  | { type: 'crash' }
  | { type: 'noop' }

/** A reducer counter that throws on `crash`. */
export const counterReducer = fromTransition((count: number, event: CounterEvent) => {
  switch (event.type) {
    case 'inc':
      return count + (event.by ?? 1)
    case 'crash':
      throw new Error('reducer crashed')
    default:
      return count
  }
}, 0)

/** A counter machine: `inc` assigns, `get` replies the count, `crash` throws from an action. */
export const counterMachine = setup({
  types: {
    context: {} as { count: number },
    events: {} as CounterEvent,
    input: {} as { start?: number } | undefined
  }
}).createMachine({
  context: ({ input }) => ({ count: input?.start ?? 0 }),
  on: {
    inc: { actions: assign({ count: ({ context, event }) => context.count + (event.by ?? 1) }) },
    get: { actions: reply(({ context }) => context.count) },
    crash: {
      actions: () => {
        throw new Error('action crashed')
      }
    }
  }
})

/** Records `id`s in order; `crash` with `fail: true` throws. */
export const journalReducer = fromTransition(
  (ids: readonly number[], event: { type: 'add'; id: number; fail?: boolean } | { type: 'get' }) => {
    if (event.type !== 'add') return ids
    if (event.fail) throw new Error(`add ${event.id} crashed`)
    return [...ids, event.id]
  },
  [] as readonly number[]
)
