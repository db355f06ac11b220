import { describe, expect, it } from 'vitest'
import { assign, fromCallback, setup } from 'xstate'
import { call, MemoryStore, reply, startBranch, type Replies } from '../../../src/index'

// A child that the initial state starts with a systemId is registered once per actor system. The
// keeper's recovery, seeding and replay compute state in an inert scope: if that scope's system
// already held the logic's own initial children, restoring a snapshot registered the same
// systemId a second time, and a durable branch could not start again from what it kept
// (RecoveryError: "Actor with system ID 'ticker' already exists").

const ticker = fromCallback(() => () => {})
const logic = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } | ({ type: 'get' } & Replies<number>) },
  actors: { ticker }
}).createMachine({
  context: { count: 0 },
  invoke: { src: 'ticker', id: 'ticker', systemId: 'ticker' },
  on: {
    inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
    get: { actions: reply(({ context }) => context.count) }
  }
})

describe('a durable machine whose initial state starts a child with a systemId', () => {
  for (const mode of ['snapshot', 'journal'] as const) {
    it(`starts again from what it kept (${mode} mode)`, async () => {
      const store = new MemoryStore()
      const first = await startBranch({ logic, durable: { store, mode, id: 'tick' } })
      await call(first, { type: 'inc' })
      await call(first, { type: 'inc' })
      await first.stop()

      const again = await startBranch({ logic, durable: { store, mode, id: 'tick' } })
      try {
        expect(await call(again, { type: 'get' })).toBe(2)
        expect(again.worker()?.system.get('ticker')).toBeDefined()
      } finally {
        await again.stop()
      }
    })
  }
})
