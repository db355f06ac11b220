import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

// Every ```ts block in the README is a program; each must run as written.

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
const dir = mkdtempSync(join(root, 'test', '.readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('README snippets', () => {
  it('there are snippets to run', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8)
  })

  it.each(snippets.map((code, i) => [i + 1, code] as const))('snippet %i runs', async (i, code) => {
    const file = join(dir, `snippet-${i}.mts`)
    writeFileSync(file, code.replaceAll("from 'keepsake'", `from '${join(root, 'src', 'index.ts')}'`))
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000 })
    expect(stdout.length).toBeGreaterThan(0)
  })
})
