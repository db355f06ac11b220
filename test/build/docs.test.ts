import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// `npm run docs` (TypeDoc over typedoc.json) builds the API reference from the doc comments,
// and warns of any public export, function, class, interface, method or call signature that
// has none. Built without writing it, here, so a missing comment fails the suite.

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const typedoc = join(dirname(createRequire(import.meta.url).resolve('typedoc/package.json')), 'bin', 'typedoc')

describe('the API reference', () => {
  it('builds from the doc comments, every public export documented', async () => {
    const { stdout, stderr } = await run(process.execPath, [typedoc, '--emit', 'none'], { cwd: root, timeout: 280_000 })
    const output = `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '')
    expect(output).toContain('Found 0 errors')
    expect(output.split('\n').filter((line) => line.includes('does not have any documentation'))).toEqual([])
  }, 300_000)
})
