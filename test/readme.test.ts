import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from './support/nats'
import { startPostgres, type PostgresServer } from './support/postgres'
import { anyIn, documents, entries, root, snippets, typecheckSnippets } from './support/snippets'

// Every ```ts block in the README and the docs is a program; each must run as written, and
// compile as written in a user's strict nodenext project.

const run = promisify(execFile)
const dir = mkdtempSync(join(root, 'test', '.readme-'))
// A snippet makes its store's directory in the temp dir and leaves it there, as a user's program may:
// `os.tmpdir()` reads TMPDIR, so each run's leftovers land in `dir` and go with it, not in /tmp.
const tmp = join(dir, 'tmp')
mkdirSync(tmp)
let postgres: PostgresServer | undefined
let nats: NatsServer | undefined

/** Runs a snippet with its `keepsake` imports pointed at the sources. */
async function runSnippet(name: string, code: string): Promise<string> {
  const file = join(dir, `${name}.mts`)
  const source = code.replace(/from '(keepsake(?:\/\w+)?)'/g, (_, spec: string) => `from '${join(root, entries[spec] as string)}'`)
  writeFileSync(file, source)
  const { connection } = postgres ?? {}
  const env = {
    ...process.env,
    TMPDIR: tmp,
    ...(connection ? { DATABASE_URL: `postgres://postgres@127.0.0.1:${connection.port}/postgres` } : {}),
    ...(nats ? { NATS_URL: nats.url } : {})
  }
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000, env })
  return stdout
}

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await postgres?.stop()
  await nats?.stop()
})

// The README and every guide in docs/, each run in full; a file's servers start only if its
// snippets read their address (the cluster's snippets join a private nats-server, the
// PostgreSQL ones a private database, never the system's).
const byFile = documents().map((file) => [file, snippets(file)] as const)

it('every snippet once tested is still there to run', () => {
  expect(byFile.reduce((n, [, codes]) => n + codes.length, 0)).toBeGreaterThanOrEqual(31)
  expect(snippets('README.md').length).toBeGreaterThanOrEqual(5)
})

describe.each(byFile.filter(([, codes]) => codes.length > 0))('%s snippets', (file, codes) => {
  beforeAll(async () => {
    if (codes.some((code) => code.includes('NATS_URL'))) nats ??= await startNats()
    if (codes.some((code) => code.includes('DATABASE_URL'))) postgres ??= await startPostgres()
  }, 60_000)
  const prefix = file.replace(/^docs\//, '').replace(/\.md$/, '')
  it.each(codes.map((code, i) => [i + 1, code] as const))('snippet %i runs', async (i, code) => {
    expect((await runSnippet(`${prefix}-${i}`, code)).length).toBeGreaterThan(0)
  })
})

describe('README and docs snippets compile under strict nodenext', () => {
  const named = new Map(
    documents().flatMap((file) => snippets(file).map((code, i) => [`${file.replace(/\W+/g, '-')}-${i + 1}`, code] as const))
  )
  let compiled: Awaited<ReturnType<typeof typecheckSnippets>>
  beforeAll(async () => {
    compiled = await typecheckSnippets(mkdtempSync(join(dir, 'types-')), named)
  }, 300_000)
  it.each([...named.keys()])('%s compiles', (name) => {
    expect(compiled.errors.get(name)).toEqual([])
  })
  it('the declarations they compile against name no `any`', () => {
    expect(anyIn(join(compiled.declarations, 'src'))).toEqual([])
  })
})
