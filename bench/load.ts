import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Profile } from './profile'
import { row, type Group } from './report'
import { summarizeTimes } from './stats'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const HEAVY = ['crypto', 'worker_threads', 'child_process', 'v8', 'zlib', 'net', 'module']

/** A fresh process's import of `specifier`: its ms, and the heavy Node built-ins it loaded. */
const PROBE = `const t = performance.now()
await import(process.argv[2])
const ms = performance.now() - t
const heavy = ${JSON.stringify(HEAVY)}.filter((name) => process.moduleLoadList.includes('NativeModule ' + name))
console.log(JSON.stringify({ ms, heavy }))
`

/**
 * What `import 'keepsake'` costs a fresh Node process, from the build,
 * against importing xstate alone (which keepsake imports too), sampled
 * alternately; and which heavy Node built-ins it loads (none: isolation and
 * the Node-only subpaths fetch theirs when used).
 */
export async function loadGroup(profile: Profile): Promise<Group> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-load-'))
  try {
    await run(join(root, 'node_modules/.bin/tsup'), ['--out-dir', join(dir, 'dist'), '--no-dts', '--silent'], { cwd: root, timeout: 300_000 })
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
    writeFileSync(join(dir, 'probe.mjs'), PROBE)
    const probe = async (specifier: string) => JSON.parse((await run(process.execPath, ['probe.mjs', specifier], { cwd: dir })).stdout) as { ms: number; heavy: string[] }
    const samples = { keepsake: [] as number[], xstate: [] as number[] }
    let heavy: string[] = []
    for (let i = 0; i < (profile.quick ? 2 : 30); i++) {
      const own = await probe(join(dir, 'dist/index.js'))
      heavy = own.heavy
      samples.keepsake.push(own.ms)
      samples.xstate.push((await probe('xstate')).ms)
    }
    return {
      id: 'load',
      title: "load: import 'keepsake' in a fresh process, against import 'xstate'",
      anchorTitle: 'reference',
      rows: [row({ name: "import 'keepsake' (dist/index.js)", subject: summarizeTimes("import 'keepsake'", samples.keepsake), floor: summarizeTimes("import 'xstate'", samples.xstate) })],
      notes: [
        `Heavy Node built-ins loaded by import 'keepsake': ${heavy.length === 0 ? 'none' : heavy.join(', ')} (of ${HEAVY.join(', ')}). ` +
          'Before issue 18 it loaded crypto, worker_threads, child_process, v8, zlib, net and module up front; dedupe now hashes in ' +
          'JavaScript and isolation fetches its built-ins with process.getBuiltinModule at first use.'
      ],
      figures: { heavyBuiltinsLoaded: heavy.length }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
