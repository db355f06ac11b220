import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import type { KeeperStore } from '../../src/stores/KeeperStore'
import { MemoryStore } from '../../src/stores/MemoryStore'
import { SqliteStore } from '../../src/stores/SqliteStore'
import { expectBadInputNamed, expectClosedCallsNamed } from './call-names'

// PostgresStore runs the same checks in postgres-edges.test.ts, beside its server.
const dir = mkdtempSync(join(tmpdir(), 'keepsake-call-names-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const stores: [string, () => Promise<KeeperStore>][] = [
  ['MemoryStore', async () => new MemoryStore()],
  ['SqliteStore', () => SqliteStore.open(join(dir, 'store.db'))]
]

describe.each(stores)('%s names each call in its errors', (name, open) => {
  it('a bad id, tag or read option, by the call that got it', async () => {
    const store = await open()
    try {
      await expectBadInputNamed(store)
    } finally {
      await store.close()
    }
  })

  it('every call after close, with the store', async () => {
    await expectClosedCallsNamed(await open(), name)
  })
})
