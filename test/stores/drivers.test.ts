import { afterEach, describe, expect, it, vi } from 'vitest'
import { MissingDriverError } from '../../src/stores/errors'

// The drivers are optional peer dependencies, loaded only when a store opens.
describe('a store whose driver is not installed', () => {
  afterEach(() => {
    vi.doUnmock('better-sqlite3')
    vi.doUnmock('pg')
    vi.resetModules()
  })

  it('rejects with MissingDriverError naming the package to install', async () => {
    const missing = (name: string) => () => {
      throw new Error(`Cannot find package '${name}'`)
    }
    vi.doMock('better-sqlite3', missing('better-sqlite3'))
    vi.doMock('pg', missing('pg'))
    const { SqliteStore } = await import('../../src/stores/SqliteStore')
    const { PostgresStore } = await import('../../src/stores/PostgresStore')
    for (const [opening, packageName] of [
      [SqliteStore.open('unused.db'), 'better-sqlite3'],
      [PostgresStore.open({ config: {} }), 'pg']
    ] as const) {
      const error = await opening.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MissingDriverError)
      expect(error).toMatchObject({ packageName, code: 'MISSING_DRIVER' })
      expect((error as Error).message).toContain(`npm install ${packageName}`)
    }
  })
})
