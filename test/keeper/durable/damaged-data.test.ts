import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { assign, fromTransition, setup, type AnyActorLogic } from 'xstate'
import { call, CorruptRecordError, MemoryStore, RecoveryError, SnapshotConflictError, startBranch, type DurableOptions } from '../../../src/index'
import { SqliteStore } from '../../../src/sqlite'

// Issue 15, item 6: damaged stored data never restores as silently wrong
// state. The start fails with RecoveryError naming the id and the sequence
// number of the record at fault; a row that can't even be decoded is its
// cause (CorruptRecordError).

const dir = mkdtempSync(join(tmpdir(), 'keepsake-damaged-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0

const list = fromTransition((items: string[], event: { type: 'add'; item: string }) => [...items, event.item], [] as string[])
const counter = setup({ types: { context: {} as { count: number }, events: {} as { type: 'inc' } } }).createMachine({
  context: { count: 0 },
  initial: 'counting',
  states: { counting: { on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } } } }
})

/** A SQLite file holding `adds` updates of the branch `id`, written by the branch itself. */
async function written(logic: AnyActorLogic, event: object, adds: number, durable: Partial<DurableOptions>): Promise<string> {
  const file = join(dir, `${files++}.db`)
  const store = await SqliteStore.open(file)
  const branch = await startBranch({ logic, durable: { store, id: 'b', snapshotEvery: 0, ...durable } })
  for (let i = 0; i < adds; i++) await call(branch, { type: 'add', item: `i${i}`, ...event })
  await branch.stop()
  await store.close()
  return file
}

/** Changes the file behind the store's back, as a disk fault or a bad migration would. */
function damage(file: string, sql: string): void {
  const db = new Database(file)
  db.exec(sql)
  db.close()
}

/** The error a start from `file` fails with. */
async function startFailure(file: string, logic: AnyActorLogic, durable: Partial<DurableOptions>): Promise<RecoveryError> {
  const store = await SqliteStore.open(file)
  try {
    const started = await startBranch({ logic, durable: { store, id: 'b', ...durable } }).then(
      async (branch) => (await branch.stop(), 'started'),
      (error: unknown) => error
    )
    expect(started).toBeInstanceOf(RecoveryError)
    return started as RecoveryError
  } finally {
    await store.close()
  }
}

describe('damaged stored data fails the start with RecoveryError naming the id and sequence', () => {
  it('a snapshot row holding "hello"', async () => {
    const file = await written(list, {}, 3, {})
    damage(file, `UPDATE keepsake_snapshots SET data = '"hello"'`)
    const error = await startFailure(file, list, {})
    expect(error).toMatchObject({ branchId: 'b', seq: 3 })
    expect(error.message).toMatch(/"hello", not a snapshot object/)
  })

  it('a snapshot whose context has the wrong shape (a machine, and a transition logic)', async () => {
    const machine = await written(counter, { type: 'inc' }, 2, {})
    damage(machine, `UPDATE keepsake_snapshots SET data = json_set(data, '$.context', json('[1, 2]'))`)
    expect(await startFailure(machine, counter, {})).toMatchObject({ branchId: 'b', seq: 2, message: expect.stringMatching(/context is an array, where .* is an object/) })
    const transition = await written(list, {}, 2, { mode: 'journal', snapshotEvery: 2 })
    damage(transition, `UPDATE keepsake_snapshots SET data = json_set(data, '$.context', 'hello')`)
    expect(await startFailure(transition, list, { mode: 'journal' })).toMatchObject({ branchId: 'b', seq: 2 })
  })

  it('a snapshot whose state value names no state of the machine', async () => {
    const file = await written(counter, { type: 'inc' }, 1, {})
    damage(file, `UPDATE keepsake_snapshots SET data = json_set(data, '$.value', 'nowhere')`)
    expect(await startFailure(file, counter, {})).toMatchObject({ branchId: 'b', seq: 1 })
  })

  it('a journal with a missing sequence number, in the middle or at the end (never 4 events applied instead of 5)', async () => {
    for (const missing of [3, 5]) {
      const file = await written(list, {}, 5, { mode: 'journal' })
      damage(file, `DELETE FROM keepsake_events WHERE seq = ${missing}`)
      const error = await startFailure(file, list, { mode: 'journal' })
      expect(error).toMatchObject({ branchId: 'b', seq: missing })
      expect(error.message).toContain(`no event ${missing}`)
    }
  })

  it('a journal gap after the snapshot it starts from', async () => {
    const file = await written(list, {}, 7, { mode: 'journal', snapshotEvery: 4 })
    damage(file, `DELETE FROM keepsake_events WHERE seq = 6`)
    expect(await startFailure(file, list, { mode: 'journal' })).toMatchObject({ branchId: 'b', seq: 6 })
  })

  it('a row that cannot be decoded: CorruptRecordError is the cause', async () => {
    const file = await written(list, {}, 4, { mode: 'journal' })
    damage(file, `UPDATE keepsake_events SET payload = '{broken' WHERE seq = 2`)
    const event = await startFailure(file, list, { mode: 'journal' })
    expect(event).toMatchObject({ branchId: 'b', seq: 2 })
    expect(event.cause).toBeInstanceOf(CorruptRecordError)
    expect(event.cause).toMatchObject({ id: 'b', seq: 2, record: 'event' })
    damage(file, `UPDATE keepsake_snapshots SET data = 'garbage'`)
    const snapshot = await startFailure(file, list, { mode: 'journal' })
    expect(snapshot).toMatchObject({ branchId: 'b', seq: 0 })
    expect(snapshot.cause).toMatchObject({ id: 'b', seq: 0, record: 'snapshot' })
  })

  it('a branch recovering after a refused write stops with RecoveryError instead of retrying damaged data for ever', async () => {
    const store = new MemoryStore()
    const branch = await startBranch({ logic: list, durable: { store, id: 'b' } })
    await call(branch, { type: 'add', item: 'kept' })
    const stopped = new Promise((resolve) => branch.on('stop', resolve))
    // Another writer leaves a damaged snapshot: this branch's next write is refused, and its recovery finds it.
    await store.saveSnapshot('b', { seq: 2, data: 'hello' })
    await expect(call(branch, { type: 'add', item: 'refused' })).rejects.toThrow(SnapshotConflictError)
    expect(await stopped).toMatchObject({ kind: 'failure', error: expect.any(RecoveryError) })
  })
})
