import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { call, migrateStore, SnapshotMigrationError, snapshotVersions, startBranch, startPool, type KeeperStore } from '../../../src/index'
import { SqliteStore } from '../../../src/sqlite'
import { cartV1, cartV2, steps, target, type CartV1 } from './cart-versions'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'keepsake-operator-'))
let files = 0
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A SQLite file holding carts a1..a3 and b1 (the pool 'a' and a branch) written by version 1, and a version 2 one. */
async function storeOfCarts(): Promise<{ store: KeeperStore; file: string }> {
  const file = join(dir, `carts-${++files}.db`)
  const store = await SqliteStore.open(file, { synchronous: 'OFF' })
  const pool = await startPool({ logic: cartV1, id: 'a', durable: { store } })
  for (const key of ['a1', 'a2', 'a3']) await pool.call(key, { type: 'add', sku: `tea-${key}` })
  await pool.stop()
  const b = await startBranch({ logic: cartV1, name: 'b1', durable: { store } })
  await call(b, { type: 'add', sku: 'jam' })
  await b.stop()
  const fresh = await startPool({ logic: cartV2, id: 'a', durable: { store, migrations: steps } })
  await fresh.call('a4', { type: 'add', sku: 'milk' })
  await fresh.stop()
  return { store, file }
}

async function everySnapshot(store: KeeperStore) {
  const ids = (await store.listSnapshots()).map((s) => s.id)
  return Promise.all(ids.map((id) => store.loadSnapshot(id)))
}

describe('snapshotVersions', () => {
  it('counts the snapshots under a prefix by the version that wrote them, oldest first', async () => {
    const { store } = await storeOfCarts()
    expect(await snapshotVersions(store, { prefix: 'a/' })).toEqual([
      { version: 1, count: 3, ids: ['a/a1', 'a/a2', 'a/a3'] },
      { version: 2, count: 1, ids: ['a/a4'] }
    ])
    expect(await snapshotVersions(store)).toEqual([
      { version: 1, count: 4, ids: ['a/a1', 'a/a2', 'a/a3', 'b1'] },
      { version: 2, count: 1, ids: ['a/a4'] }
    ])
    await store.close()
  })
})

describe('migrateStore', () => {
  it('a dry run reports what would change and writes nothing; apply migrates every snapshot of the kind, with progress', async () => {
    const { store } = await storeOfCarts()
    const before = await everySnapshot(store)
    const progress: string[] = []
    const plan = await migrateStore(store, { ...target, prefix: 'a/', onProgress: ({ done, total, id, outcome }) => progress.push(`${done}/${total} ${id} ${outcome}`) })
    expect(plan).toEqual({ applied: false, version: 2, total: 4, current: 1, migrated: ['a/a1', 'a/a2', 'a/a3'], failed: [], changed: [] })
    expect(progress).toEqual(['1/4 a/a1 migrated', '2/4 a/a2 migrated', '3/4 a/a3 migrated', '4/4 a/a4 current'])
    expect(await everySnapshot(store)).toEqual(before)

    const done = await migrateStore(store, { ...target, prefix: 'a/', apply: true })
    expect(done).toMatchObject({ applied: true, migrated: ['a/a1', 'a/a2', 'a/a3'], current: 1 })
    expect(await snapshotVersions(store, { prefix: 'a/' })).toEqual([{ version: 2, count: 4, ids: ['a/a1', 'a/a2', 'a/a3', 'a/a4'] }])
    expect(await store.loadSnapshot('a/a2')).toMatchObject({ version: 2, data: { context: { lines: [{ sku: 'tea-a2', qty: 1 }] } } })
    expect(await store.loadSnapshot('b1')).toMatchObject({ version: 1 }) // another prefix: untouched

    // A branch starting now finds its state current: no step runs.
    let ran = 0
    const counted = { 2: (s: CartV1) => (ran++, { ...s, context: { lines: [] } }) }
    const pool = await startPool({ logic: cartV2, id: 'a', durable: { store, migrations: counted } })
    expect(await pool.call('a1', { type: 'add', sku: 'milk' })).toEqual({ lines: [{ sku: 'tea-a1', qty: 1 }, { sku: 'milk', qty: 1 }] })
    await pool.stop()
    expect(ran).toBe(0)
    expect(await migrateStore(store, { ...target, prefix: 'a/', apply: true })).toMatchObject({ migrated: [], current: 4 })
    await store.close()
  })

  it('reports the snapshots it can not migrate and migrates the rest', async () => {
    const { store } = await storeOfCarts()
    await store.saveSnapshot('a/bad', { seq: 0, data: { status: 'active', context: { items: ['!'] } }, version: 1 })
    await store.saveSnapshot('a/future', { seq: 0, data: { status: 'active', context: { lines: [] } }, version: 9 })
    const report = await migrateStore(store, { ...target, prefix: 'a/', apply: true })
    expect(report.migrated).toEqual(['a/a1', 'a/a2', 'a/a3'])
    expect(report.failed.map((e) => [e.branchId, e.version, e.reason])).toEqual([
      ['a/bad', 1, 'the step to version 2 threw'],
      ['a/future', 9, 'it was written by a newer version of the logic than this one; run version 9 or later (or migrate the store down first)']
    ])
    expect(report.failed[0]).toBeInstanceOf(SnapshotMigrationError)
    expect(await store.loadSnapshot('a/bad')).toMatchObject({ version: 1, data: { context: { items: ['!'] } } })
    await store.close()
  })
})

describe('npm run migrate', () => {
  const migrate = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts', ...args], { cwd: root, timeout: 60_000 }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout + error.stderr })
    )
  const targetModule = `${join(root, 'test/keeper/durable/cart-versions.ts')}#target`

  it('lists versions, plans (writing nothing), applies', async () => {
    const { store, file } = await storeOfCarts()
    await store.close()
    const store_ = `sqlite:${file}`
    expect(await migrate('list', '--store', store_, '--prefix', 'a/')).toEqual({ code: 0, stdout: 'version 1: 3 snapshots (a/a1, a/a2, a/a3)\nversion 2: 1 snapshot (a/a4)\n' })
    const plan = await migrate('plan', '--store', store_, '--prefix', 'a/', '--target', targetModule)
    expect(plan).toEqual({
      code: 0,
      stdout: 'dry run: 3 of 4 snapshots would be migrated to version 2; 1 current; 0 failed; 0 changed meanwhile (left alone)\nnothing written; run `apply` to write them\n'
    })
    expect((await migrate('list', '--store', store_, '--prefix', 'a/')).stdout).toContain('version 1: 3 snapshots')
    expect(await migrate('apply', '--store', store_, '--prefix', 'a/', '--target', targetModule)).toEqual({
      code: 0,
      stdout: '3 of 4 snapshots migrated to version 2; 1 current; 0 failed; 0 changed meanwhile (left alone)\n'
    })
    expect((await migrate('list', '--store', store_)).stdout).toBe('version 1: 1 snapshot (b1)\nversion 2: 4 snapshots (a/a1, a/a2, a/a3, a/a4)\n')
  })

  it('exits 1 naming what failed, and 2 with its usage for bad arguments', async () => {
    const { store, file } = await storeOfCarts()
    await store.saveSnapshot('a/bad', { seq: 0, data: { status: 'active', context: { items: ['!'] } }, version: 1 })
    await store.close()
    const plan = await migrate('plan', '--store', `sqlite:${file}`, '--target', targetModule)
    expect(plan.code).toBe(1)
    expect(plan.stdout).toContain('failed a/bad (version 1): the step to version 2 threw\n')
    expect(await migrate('plan', '--store', `sqlite:${file}`)).toMatchObject({ code: 2, stdout: expect.stringContaining('usage: npm run migrate') })
  })
})
