import { describe, expect, it } from 'vitest'
import { MissingDriverError } from '../../src/stores/errors'
import { loadDriver, loadPeers, requirePeers } from '../../src/stores/requests'

// Optional peer dependencies are loaded when first needed, by real imports and
// requires here: `pg` is installed (a dev dependency), the other names are not.
const ABSENT = 'keepsake-test-absent-package'
const ALSO_ABSENT = 'keepsake-test-absent-package-2'
const importOf = (name: string) => () => import(name) as Promise<unknown>

describe('loading optional peer dependencies', () => {
  it('loadDriver resolves with the module', async () => {
    const pg = await loadDriver('PostgresStore', 'pg', () => import('pg'))
    expect(typeof pg.Pool).toBe('function')
  })

  it('loadDriver rejects with MissingDriverError naming the store and the package, the import error as cause', async () => {
    const error = (await loadDriver('SqliteStore', ABSENT, importOf(ABSENT)).catch((e: unknown) => e)) as MissingDriverError
    expect(error).toBeInstanceOf(MissingDriverError)
    expect(error).toMatchObject({ store: 'SqliteStore', packageName: ABSENT, packageNames: [ABSENT] })
    expect(error.cause).toBeInstanceOf(Error)
    expect(String((error.cause as Error).message)).toContain(ABSENT)
  })

  it('loadPeers resolves with every module keyed by its package name', async () => {
    const loaded = await loadPeers<{ pg: typeof import('pg'); 'node:path': typeof import('node:path') }>('keepsake/x', {
      pg: () => import('pg'),
      'node:path': () => import('node:path')
    })
    expect(Object.keys(loaded)).toEqual(['pg', 'node:path'])
    expect(typeof loaded.pg.Pool).toBe('function')
    expect(loaded['node:path'].join('a', 'b')).toBe(`a${loaded['node:path'].sep}b`)
  })

  it('loadPeers names only the packages that failed; one failure is itself the cause', async () => {
    const error = (await loadPeers('keepsake/x', { pg: () => import('pg'), [ABSENT]: importOf(ABSENT) }).catch((e: unknown) => e)) as MissingDriverError
    expect(error).toBeInstanceOf(MissingDriverError)
    expect(error.packageNames).toEqual([ABSENT])
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause).not.toBeInstanceOf(AggregateError)
  })

  it('loadPeers names every package that failed, not just the first, with all their errors as cause', async () => {
    const error = (await loadPeers('keepsake/x', { [ABSENT]: importOf(ABSENT), pg: () => import('pg'), [ALSO_ABSENT]: importOf(ALSO_ABSENT) }).catch(
      (e: unknown) => e
    )) as MissingDriverError
    expect(error.packageNames).toEqual([ABSENT, ALSO_ABSENT])
    const cause = error.cause as AggregateError
    expect(cause).toBeInstanceOf(AggregateError)
    expect(cause.message).toBe(`${ABSENT}, ${ALSO_ABSENT}`)
    expect(cause.errors).toHaveLength(2)
    expect(String((cause.errors[1] as Error).message)).toContain(ALSO_ABSENT)
    expect(error.message).toContain(`npm install ${ABSENT} ${ALSO_ABSENT}`)
  })

  it('requirePeers loads synchronously, keyed by package name', () => {
    const loaded = requirePeers<{ pg: typeof import('pg') }>('keepsake/x', ['pg'])
    expect(Object.keys(loaded)).toEqual(['pg'])
    expect(typeof loaded.pg.Pool).toBe('function')
  })

  it('requirePeers names every package missing, with its require error', () => {
    let error: unknown
    try {
      requirePeers('keepsake/telemetry', [ABSENT, 'pg', ALSO_ABSENT])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(MissingDriverError)
    expect(error).toMatchObject({ store: 'keepsake/telemetry', packageNames: [ABSENT, ALSO_ABSENT] })
    const cause = (error as MissingDriverError).cause as AggregateError
    expect(cause.errors.map((e: { code?: unknown }) => e.code)).toEqual(['MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'])
    let single: unknown
    try {
      requirePeers('keepsake/telemetry', [ABSENT])
    } catch (e) {
      single = e
    }
    expect((single as MissingDriverError).cause).toMatchObject({ code: 'MODULE_NOT_FOUND' })
  })
})
