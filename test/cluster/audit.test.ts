import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, InvalidRecordError, JournalConflictError, MemoryStore, SnapshotConflictError, startBranch, type AnyBranch } from '../../src/index'
import { auditActivations } from '../../src/cluster'
import { openedForEach } from '../support/cleanup'

const { open, stop } = openedForEach<AnyBranch>()

type Event = { type: 'add'; id: string }
const ids = fromTransition((s: string[], e: Event) => (e.type === 'add' ? [...s, e.id] : s), () => [] as string[])
const ID = 'accounts/k1'

/** A branch of the key `k1` of pool `accounts`, as a node would start it: its id in the store is `accounts/k1`. */
// 'changes': snapshot mode with compactEvery, whose states are journaled as changes (and fenced like events).
const activation = (store: MemoryStore, name: string, mode: 'snapshot' | 'journal' | 'changes') =>
  open(startBranch({ logic: ids, name, durable: { store, id: ID, ...(mode === 'changes' ? { mode: 'snapshot', compactEvery: 2 } : { mode }), snapshotEvery: 4 } }))

describe.each(['snapshot', 'journal', 'changes'] as const)('activation markers in %s mode', (mode) => {
  const conflict = mode === 'snapshot' ? SnapshotConflictError : JournalConflictError

  it('a new activation\'s marker refuses every later write of the one before; recovery skips the markers; the audit lists both, no problem', async () => {
    const store = new MemoryStore()
    const first = await activation(store, `first-${mode}`, mode)
    await first._mark({ node: 'a', inc: 'a1', epoch: 5 }, '5')
    await call(first, { type: 'add', id: 'x' })

    // A second activation of the key, the first one still running (a stalled node): it recovers, then marks.
    const second = await activation(store, `second-${mode}`, mode)
    await second._mark({ node: 'b', inc: 'b1', epoch: 9 }, '9')
    await expect(call(first, { type: 'add', id: 'stale' })).rejects.toBeInstanceOf(conflict)
    for (const id of ['y', 'z', 'w', 'v']) await call(second, { type: 'add', id })
    await stop(first)
    await stop(second)

    const again = await activation(store, `again-${mode}`, mode)
    expect(again.state()).toEqual(['x', 'y', 'z', 'w', 'v'])
    const audit = await auditActivations(store, 'accounts', 'k1')
    expect(audit.activations.map(({ node, inc, epoch }) => ({ node, inc, epoch }))).toEqual([
      { node: 'a', inc: 'a1', epoch: 5 },
      { node: 'b', inc: 'b1', epoch: 9 }
    ])
    expect(audit.activations[0]!.seq).toBeLessThan(audit.activations[1]!.seq)
    expect(audit.problems).toEqual([])
    expect(audit.writes).toBe(mode === 'snapshot' ? 0 : 5)
  })

  it('a marker is refused if a former owner wrote after the new activation recovered', async () => {
    const store = new MemoryStore()
    const first = await activation(store, `old-${mode}`, mode)
    const second = await activation(store, `new-${mode}`, mode)
    await call(first, { type: 'add', id: 'late' })
    await expect(second._mark({ node: 'b', inc: 'b1', epoch: 9 }, '9')).rejects.toBeInstanceOf(conflict)
    expect((await auditActivations(store, 'accounts', 'k1')).activations).toEqual([])
  })
})

it('a journaled event of the markers\' reserved type is refused, not skipped by recovery later', async () => {
  const store = new MemoryStore()
  const branch = await activation(store, 'reserved', 'journal')
  await expect(call(branch, { type: 'keepsake.activation', id: 'x' } as unknown as Event)).rejects.toBeInstanceOf(InvalidRecordError)
  expect(await store.lastSeq(ID)).toBe(0)
})

describe('auditActivations', () => {
  const marker = (node: string, epoch: number, seq: number) => ({ type: 'keepsake.activation', payload: { type: 'keepsake.activation', node, inc: `${node}1`, epoch, seq, mode: 'journal' } })
  const event = (id: string, epoch?: number) => ({ type: 'add', payload: { type: 'add', id }, tags: epoch === undefined ? [] : [`keepsake.activation:${epoch}`] })

  it('reports a write accepted from an activation after the next one\'s marker, an unattributed write, and an activation older than the one before', async () => {
    const store = new MemoryStore()
    await store.append(ID, [event('before'), marker('a', 5, 2), event('x', 5), marker('b', 9, 4), event('y', 9), event('stale', 5), event('anon'), marker('c', 7, 8)], 0)
    const audit = await auditActivations(store, 'accounts', 'k1')
    expect(audit.activations.map((a) => `${a.node}@${a.epoch}:${a.seq}`)).toEqual(['a@5:2', 'b@9:4', 'c@7:8'])
    expect(audit.writes).toBe(4)
    expect(audit.problems).toEqual([
      'event 6 was written by the activation of epoch 5 after the marker of epoch 9 (node "b", seq 4)',
      'event 7 was written after the marker of epoch 9 by no marked activation',
      'the activation on node "c" (epoch 7) began at seq 8, after one of epoch 9 on node "b"'
    ])
  })

  it('in snapshot mode, reports a kept snapshot older than the last marker', async () => {
    const store = new MemoryStore()
    await store.append(ID, [{ ...marker('a', 5, 3), payload: { ...marker('a', 5, 3).payload, mode: 'snapshot' } }], 0)
    await store.saveSnapshot(ID, { seq: 2, data: [] })
    expect((await auditActivations(store, 'accounts', 'k1')).problems).toEqual(['the kept snapshot (seq 2) is older than the last marker (seq 3)'])
  })

  it('refuses a pool or key that is no name', async () => {
    await expect(auditActivations(new MemoryStore(), '', 'k')).rejects.toThrow(/pool/)
  })
})
