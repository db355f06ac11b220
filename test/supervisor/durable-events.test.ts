import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromTransition } from 'xstate'
import { call, cast, MemoryStore, ReplayDivergenceError, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'
import { turns } from '../support/deferred'

// What a durable branch tells of its writes: each journaled event as it
// becomes durable ('persisted', in order), and a replay that gave another
// state ('divergence'), a process warning when no one handles it.

const started = stoppedAfterEach<AnyBranch>()

afterEach(() => {
  vi.restoreAllMocks()
})

const adder = fromTransition((total: number, e: { type: 'add'; n: number }) => total + e.n, 0)

/** Not a function of its events: each roll reads a counter outside the logic, so a replay gives another state. */
let rolls = 0
const dice = fromTransition((s: { roll: number }, e: { type: 'roll' }) => (e.type === 'roll' ? { roll: ++rolls } : s), { roll: 0 })

describe('a durable branch reports', () => {
  it("each journaled event once it is durable, in order, with its sequence number ('persisted')", async () => {
    const branch = await startBranch({ logic: adder, durable: { store: new MemoryStore(), id: 'persisted-events', mode: 'journal' } })
    started.push(branch)
    const persisted: unknown[] = []
    branch.on('persisted', (record) => persisted.push(record))
    await call(branch, { type: 'add', n: 1 })
    await call(branch, { type: 'add', n: 2 })
    expect(persisted).toEqual([
      { seq: 1, event: { type: 'add', n: 1 } },
      { seq: 2, event: { type: 'add', n: 2 } }
    ])
  })

  it("a replay that gave another state to its 'divergence' handlers, and no warning", async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const branch = await startBranch({ logic: dice, durable: { store: new MemoryStore(), id: 'diverging-heard', mode: 'journal', snapshotEvery: 2 } })
    started.push(branch)
    const divergence = new Promise<unknown>((resolve) => branch.on('divergence', resolve))
    cast(branch, { type: 'roll' })
    cast(branch, { type: 'roll' })
    expect(await divergence).toBeInstanceOf(ReplayDivergenceError)
    expect(warnings).not.toHaveBeenCalled()
  })

  it('a replay that gave another state, with no one handling it, as a process warning saying so', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const branch = await startBranch({ logic: dice, durable: { store: new MemoryStore(), id: 'diverging-unheard', mode: 'journal', snapshotEvery: 2 } })
    started.push(branch)
    cast(branch, { type: 'roll' })
    await call(branch, { type: 'roll' })
    for (let i = 0; i < 100 && warnings.mock.calls.length === 0; i++) await turns(1) // the check runs after the write
    const [[message]] = warnings.mock.calls as [[string]]
    expect(message).toMatch(/^keepsake: /)
    expect(message).toContain('diverging-unheard')
  })
})
