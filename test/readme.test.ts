import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

describe('README snippets', () => {
  // The Cluster section's snippet joins a private nats-server, never the system's.
  beforeAll(async () => {
    nats = await startNats()
  }, 60_000)
  const readme = snippets('README.md')
  it('there are snippets to run', () => expect(readme.length).toBeGreaterThanOrEqual(10))
  it.each(readme.map((code, i) => [i + 1, code] as const))('snippet %i runs', async (i, code) => {
    expect((await runSnippet(`readme-${i}`, code)).length).toBeGreaterThan(0)
  })
})

describe('docs/stores.md snippets', () => {
  beforeAll(async () => {
    postgres = await startPostgres()
  }, 60_000)
  const docs = snippets('docs/stores.md')
  it.each(docs.map((code, i) => [i + 1, code] as const))('snippet %i runs', async (i, code) => {
    expect((await runSnippet(`stores-${i}`, code)).length).toBeGreaterThan(0)
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
