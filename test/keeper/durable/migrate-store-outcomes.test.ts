import { describe, expect, it } from 'vitest'
import { MemoryStore, migrateStore, snapshotVersions, type KeeperStore } from '../../../src/index'
import { StoreClosedError } from '../../../src/stores/errors'
import { target } from './cart-versions'

// What migrateStore reports for each snapshot when other writers act between its reads and writes,
// and the order snapshotVersions lists versions in when ids and versions don't sort alike.

const cart = (items: string[]) => ({ status: 'active', context: { items } })
const cartV2 = { status: 'active', context: { lines: [] } }

/** A MemoryStore where another writer acts: once each: `afterList` when the ids are listed, `afterLoad[id]` right after that id is read. */
class SharedStore extends MemoryStore {
  afterList: (() => Promise<unknown>) | undefined
  readonly afterLoad = new Map<string, () => Promise<unknown>>()

  override async listSnapshots(...args: Parameters<KeeperStore['listSnapshots']>): ReturnType<KeeperStore['listSnapshots']> {
    const listed = await super.listSnapshots(...args)
    const act = this.afterList
    this.afterList = undefined
    await act?.()
    return listed
  }

  override async loadSnapshot(id: string): ReturnType<KeeperStore['loadSnapshot']> {
    const found = await super.loadSnapshot(id)
    const act = this.afterLoad.get(id)
    this.afterLoad.delete(id)
    await act?.()
    return found
  }
}

async function storeOfCarts(): Promise<SharedStore> {
  const store = new SharedStore()
  for (const id of ['a', 'b', 'c', 'd']) await store.saveSnapshot(id, { seq: 2, data: cart([`tea-${id}`]), version: 1 })
  return store
}

describe('snapshotVersions', () => {
  it('lists versions oldest first whatever order the ids come in', async () => {
    const store = new MemoryStore()
    for (const [id, version] of [['a', 3], ['b', 1], ['c', 3], ['d', 2]] as const) {
      await store.saveSnapshot(id, { seq: 0, data: version === 1 ? cart([]) : cartV2, version })
    }
    expect(await snapshotVersions(store)).toEqual([
      { version: 1, count: 1, ids: ['b'] },
      { version: 2, count: 1, ids: ['d'] },
      { version: 3, count: 2, ids: ['a', 'c'] }
    ])
    expect(await snapshotVersions(new MemoryStore())).toEqual([])
  })
})

describe('migrateStore', () => {
  it('without a prefix, migrates every snapshot of the store', async () => {
    const store = await storeOfCarts()
    expect(await migrateStore(store, { ...target, apply: true })).toEqual({
      applied: true,
      version: 2,
      total: 4,
      current: 0,
      migrated: ['a', 'b', 'c', 'd'],
      failed: [],
      changed: []
    })
    expect(await snapshotVersions(store)).toEqual([{ version: 2, count: 4, ids: ['a', 'b', 'c', 'd'] }])
  })

  it('leaves alone, as changed, a snapshot deleted after the listing or replaced after its read; tells the progress of each', async () => {
    const store = await storeOfCarts()
    await store.saveSnapshot('e', { seq: 0, data: cart(['!']), version: 1 })
    store.afterList = () => store.delete('b')
    store.afterLoad.set('c', () => store.saveSnapshot('c', { seq: 3, data: cartV2, version: 2, expectedSeq: 2 }))
    const progress: string[] = []
    const report = await migrateStore(store, { ...target, apply: true, onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.id} ${p.outcome}`) })
    expect(report).toMatchObject({ total: 5, current: 0, migrated: ['a', 'd'], changed: ['b', 'c'] })
    expect(report.failed.map((e) => e.branchId)).toEqual(['e'])
    expect(progress).toEqual(['1/5 a migrated', '2/5 b changed', '3/5 c changed', '4/5 d migrated', '5/5 e failed'])
    // The other writer's state stands.
    expect(await store.loadSnapshot('c')).toMatchObject({ seq: 3, version: 2, data: cartV2 })
    expect(await store.loadSnapshot('b')).toBeUndefined()
  })

  it('a dry run writes nothing, so a snapshot replaced after its read still counts as one it would migrate', async () => {
    const store = await storeOfCarts()
    store.afterLoad.set('c', () => store.saveSnapshot('c', { seq: 3, data: cart(['jam']), version: 1, expectedSeq: 2 }))
    expect(await migrateStore(store, target)).toMatchObject({ applied: false, migrated: ['a', 'b', 'c', 'd'], changed: [] })
    expect(await store.loadSnapshot('c')).toMatchObject({ seq: 3, version: 1, data: cart(['jam']) })
  })

  it('stops on a store error other than a conflict, with that error', async () => {
    const store = await storeOfCarts()
    store.afterLoad.set('b', () => store.close())
    const error = await migrateStore(store, { ...target, apply: true }).then(
      () => expect.fail('expected the store error'),
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(StoreClosedError)
    // The store closed after b's snapshot was read: the next call on it (the read of what follows the snapshot) fails.
    expect((error as Error).message).toMatch(/(lastSeq|read|saveSnapshot) can't run/)
  })
})
