import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from './support/nats'
import { startPostgres, type PostgresServer } from './support/postgres'

// Every ```ts block in the README and the docs is a program; each must run as written.

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const entries: Record<string, string> = {
  keepsake: 'src/index.ts',
  'keepsake/sqlite': 'src/sqlite.ts',
  'keepsake/postgres': 'src/postgres.ts',
  'keepsake/telemetry': 'src/telemetry.ts',
  'keepsake/inspector': 'src/inspector.ts',
  'keepsake/cluster': 'src/cluster.ts'
}
const dir = mkdtempSync(join(root, 'test', '.readme-'))
let postgres: PostgresServer | undefined
let nats: NatsServer | undefined

function snippets(file: string): string[] {
  return [...readFileSync(join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
}

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

// The README and every guide in docs/, each run in full; a file's servers start only if its
// snippets read their address (the cluster's snippets join a private nats-server, the
// PostgreSQL ones a private database, never the system's).
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
const byFile = files.map((file) => [file, snippets(file)] as const)

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
