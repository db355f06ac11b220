import { describe, expect, it } from 'vitest'
import { assign, fromTransition, setup } from 'xstate'
import { call, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// Peeper's keeper is updated asynchronously: measured here, 19-51% of kills
// right after an acknowledged update of a ~1 MB state brought back the previous
// value. The keeper holds a message's state before its call resolves, so none may.

const started = stoppedAfterEach<AnyBranch>()

interface Big {
  version: number
  items: readonly { id: number; label: string; tags: string[] }[]
}

/** ~1 MB once serialized. */
function bigState(): Big {
  const items = Array.from({ length: 10_000 }, (_, id) => ({ id, label: `item-${id}`.padEnd(60, '.'), tags: ['a', 'b'] }))
  return { version: 0, items }
}

function update(state: Big, version: number): Big {
  const slot = version % state.items.length
  const items = state.items.slice()
  items[slot] = { ...(items[slot] as Big['items'][number]), label: `updated-${version}` }
  return { version, items }
}

const reducer = fromTransition(
  (state: Big, e: { type: 'set'; version: number } | { type: 'get' }) => (e.type === 'set' ? update(state, e.version) : state),
  bigState
)

const machine = setup({
  types: { context: {} as Big, events: {} as { type: 'set'; version: number } | { type: 'get' } }
}).createMachine({
  context: bigState,
  on: { set: { actions: assign(({ context, event }) => update(context, event.version)) } }
})

describe('an acknowledged update survives an immediate kill', () => {
  it.each([
    ['a reducer', reducer],
    ['a machine', machine]
  ] as const)('with a ~1 MB state in %s, 200 times out of 200', async (_, logic) => {
    expect(JSON.stringify(bigState()).length).toBeGreaterThan(900_000)
    const branch = await startBranch({ logic: logic as typeof reducer })
    started.push(branch)
    let lost = 0
    for (let version = 1; version <= 200; version++) {
      const acked = (await call(branch, { type: 'set', version })) as Big
      expect(acked.version).toBe(version)
      branch.kill()
      const after = (await call(branch, { type: 'get' })) as Big
      if (after.version !== version || after.items[version % 10_000]?.label !== `updated-${version}`) lost++
    }
    expect(lost).toBe(0)
    expect(branch.children()[1]).toMatchObject({ restarts: 200 })
  })
})
