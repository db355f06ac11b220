import { expect } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import { InvalidRecordError, StoreClosedError } from '../../src/stores/errors'
import type { KeeperStore } from '../../src/stores/KeeperStore'

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error as Error
  )
}

/**
 * What each call's errors name, on an open store: a bad id as `id` (a bad tag
 * as `tag`), and a bad read option by the call's name (`read.fromSeq`).
 */
export async function expectBadInputNamed(store: KeeperStore): Promise<void> {
  const badIds: [string, Promise<unknown>][] = [
    ['id', store.read('')],
    ['id', store.readPayloads!('')],
    ['id', store.lastSeq('')],
    ['id', store.saveSnapshot('', { seq: 1, data: 1 })],
    ['id', store.loadSnapshot('')],
    ['id', store.delete('')],
    ['tag', store.queryByTag('')]
  ]
  for (const [path, call] of badIds) {
    const error = await rejection(call)
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as InvalidRecordError).path).toBe(path)
  }
  const badOptions: [string, Promise<unknown>][] = [
    ['read.fromSeq', store.read('a', { fromSeq: 0 })],
    ['readPayloads.fromSeq', store.readPayloads!('a', { fromSeq: 0 })],
    ['queryByTag.from', store.queryByTag('t', { from: -1 })]
  ]
  for (const [option, call] of badOptions) {
    const error = await rejection(call)
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
  }
}

/** After `close()`, every call rejects with StoreClosedError naming the store and the call. */
export async function expectClosedCallsNamed(store: KeeperStore, name: string): Promise<void> {
  await store.close()
  const calls: [string, Promise<unknown>][] = [
    ['append', store.append('a', [], 0)],
    ['appendBatch', store.appendBatch([])],
    ['read', store.read('a')],
    ['readPayloads', store.readPayloads!('a')],
    ['lastSeq', store.lastSeq('a')],
    ['saveSnapshot', store.saveSnapshot('a', { seq: 1, data: 1 })],
    ['loadSnapshot', store.loadSnapshot('a')],
    ['queryByTag', store.queryByTag('t')],
    ['delete', store.delete('a')],
    ['listIds', store.listIds()],
    ['listSnapshots', store.listSnapshots()]
  ]
  for (const [operation, call] of calls) {
    const error = await rejection(call)
    expect(error).toBeInstanceOf(StoreClosedError)
    expect(error).toMatchObject({ store: name, message: `${name} is closed; ${operation} can't run. Open a new store (or close it only after its last use).` })
  }
}
