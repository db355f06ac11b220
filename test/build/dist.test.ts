import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The published build, not the sources: its isolated workers must find their
// host entry (dist/isolated-host.*) and load a JavaScript logic module with
// plain Node, from the ES module build and from the CommonJS one.

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'keepsake-dist-'))

const LOGIC = `import { fromTransition } from 'xstate'
export const counter = fromTransition((n, e) => {
  if (e.type === 'hang') for (;;) {}
  if (e.type === 'abort') process.abort()
  return e.type === 'inc' ? n + 1 : n
}, 0)
`

const program = (entry: string) => `
const { call, cast, startBranch, WorkerCrashedError, WorkerHungError } = ${entry}
const main = async () => {
  for (const isolation of ['thread', 'process']) {
    const branch = await startBranch({ logic: { module: ${JSON.stringify(join(dir, 'logic.js'))}, export: 'counter' }, isolation, maxProcessingMs: 1000 })
    cast(branch, { type: 'inc' })
    const hung = await call(branch, { type: 'hang' }).catch((e) => e instanceof WorkerHungError)
    const afterHang = await call(branch, { type: 'get' }, { timeout: 20000 })
    const aborted = await call(branch, { type: 'abort' }, { timeout: 20000 }).catch((e) => e instanceof WorkerCrashedError)
    const afterAbort = await call(branch, { type: 'get' }, { timeout: 20000 })
    console.log(JSON.stringify({ isolation, hung, afterHang, aborted, afterAbort }))
    await branch.stop()
  }
}
main()
`

// The CommonJS build loads logic modules with Node's own import() (tsup rewrites
// import() into require() there): ES modules, CommonJS modules, and TypeScript
// (here in a CommonJS package) through tsx in the worker's thread or process.
// A durable keeper loads the module in the parent too, for recovery.
const COUNTER_CJS = `const { fromTransition } = require('xstate')
exports.counter = fromTransition((n, e) => (e.type === 'inc' ? n + 1 : n), 0)
`
const COUNTER_TS = `import { fromTransition } from 'xstate'
export const counter = fromTransition((n: number, e: { type: string }) => (e.type === 'inc' ? n + 1 : n), 0)
`
const MODULES = ['logic.mjs', 'logic.cjs', 'cjs-package/logic.ts']

const modulesProgram = `
const { call, MemoryStore, startBranch } = require('./dist/index.cjs')
const main = async () => {
  for (const file of ${JSON.stringify(MODULES)}) for (const isolation of ['thread', 'process']) {
    const branch = await startBranch({ logic: { module: './' + file, export: 'counter' }, isolation })
    await call(branch, { type: 'inc' })
    console.log(JSON.stringify({ file, isolation, n: await call(branch, { type: 'get' }, { timeout: 20000 }) }))
    await branch.stop()
  }
  const store = new MemoryStore()
  for (const isolation of ['thread', 'process']) {
    const start = () => startBranch({ logic: { module: './logic.mjs', export: 'counter' }, isolation, durable: { store, id: isolation, mode: 'journal' } })
    const first = await start()
    await call(first, { type: 'inc' })
    await first.stop()
    const again = await start()
    console.log(JSON.stringify({ durable: isolation, n: again.state() }))
    await again.stop()
  }
}
main()
`

// One process loading the ES module build with import and the CommonJS build with require
// (an app importing keepsake while a dependency requires it): one name registry, one reply
// channel, one set of error classes.
const DUAL = `import { createRequire } from 'node:module'
import { setup } from 'xstate'
const esm = await import('./dist/index.js')
const cjs = createRequire(import.meta.url)('./dist/index.cjs')
const machine = setup({}).createMachine({
  context: { n: 0 },
  on: {
    inc: { actions: cjs.reply(({ context }) => context.n + 1) },
    boom: { actions: () => { throw new Error('boom') } }
  }
})
const branch = await esm.startBranch({ logic: machine, name: 'shared' })
const taken = await cjs.startBranch({ logic: machine, name: 'shared' }).then(() => 'started twice', (e) => [e instanceof cjs.NameTakenError, e instanceof esm.NameTakenError, e instanceof esm.KeepsakeError, e.code])
const crashed = await cjs.call('shared', { type: 'boom' }).catch((e) => [e instanceof cjs.WorkerCrashedError, e instanceof esm.WorkerCrashedError, e instanceof cjs.BranchStoppedError])
console.log(JSON.stringify({
  twoCopies: esm.startBranch !== cjs.startBranch,
  seen: cjs.whereis('shared') === branch,
  branchInstance: branch instanceof cjs.Branch,
  replyAcross: await cjs.call(branch, { type: 'inc' }),
  byName: await cjs.call('shared', { type: 'inc' }),
  taken,
  crashed
}))
await branch.stop()
console.log(JSON.stringify({ released: cjs.whereis('shared') === undefined && esm.whereis('shared') === undefined }))
`

beforeAll(async () => {
  await run(join(root, 'node_modules/.bin/tsup'), ['--out-dir', join(dir, 'dist'), '--no-dts', '--silent'], { cwd: root, timeout: 120_000 })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(join(dir, 'logic.js'), LOGIC)
  writeFileSync(join(dir, 'esm.js'), program(`await import('./dist/index.js')`).replace('main()', 'await main()'))
  writeFileSync(join(dir, 'cjs.cjs'), program(`require('./dist/index.cjs')`))
  writeFileSync(join(dir, 'logic.mjs'), LOGIC)
  writeFileSync(join(dir, 'logic.cjs'), COUNTER_CJS)
  mkdirSync(join(dir, 'cjs-package'))
  writeFileSync(join(dir, 'cjs-package/package.json'), '{ "type": "commonjs" }\n')
  writeFileSync(join(dir, 'cjs-package/logic.ts'), COUNTER_TS)
  writeFileSync(join(dir, 'modules.cjs'), modulesProgram)
  writeFileSync(join(dir, 'dual.mjs'), DUAL)
}, 120_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the built package', () => {
  it.each(['esm.js', 'cjs.cjs'])('%s: isolated workers in a thread and a process survive a hang and an abort', async (file) => {
    const { stdout } = await run(process.execPath, [join(dir, file)], { cwd: dir, timeout: 60_000 })
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual(
      ['thread', 'process'].map((isolation) => ({ isolation, hung: true, afterHang: 1, aborted: true, afterAbort: 1 }))
    )
  }, 60_000)

  it('modules.cjs: the CommonJS build runs ES, CommonJS and TypeScript logic modules in a thread and a process, durable too', async () => {
    const { stdout } = await run(process.execPath, [join(dir, 'modules.cjs')], { cwd: dir, timeout: 60_000 })
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      ...MODULES.flatMap((file) => ['thread', 'process'].map((isolation) => ({ file, isolation, n: 1 }))),
      { durable: 'thread', n: 1 },
      { durable: 'process', n: 1 }
    ])
  }, 60_000)

  it('dual.mjs: the ES module build and the CommonJS build in one process share names, replies and error classes', async () => {
    const { stdout } = await run(process.execPath, [join(dir, 'dual.mjs')], { cwd: dir, timeout: 60_000 })
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      {
        twoCopies: true,
        seen: true,
        branchInstance: true,
        replyAcross: 1,
        byName: 1,
        taken: [true, true, true, 'NAME_TAKEN'],
        crashed: [true, true, false]
      },
      { released: true }
    ])
  }, 60_000)
})
