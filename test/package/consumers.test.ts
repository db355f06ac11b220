import { build } from 'esbuild'
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The package as users get it: built, packed with `npm pack`, and installed
// from the tarball into fresh projects (test/package/consumers/*): ES modules
// (nodenext), CommonJS, a front-end project (moduleResolution bundler, no
// Node types), plain .mjs with and without the optional peers, and an app
// bundled with esbuild whose worker runs in a thread. Offline: the tarball is
// unpacked into each project's node_modules, and its dependencies are linked
// from this checkout's node_modules (as npm would install them).
//
// KEEPSAKE_XSTATE_PACKAGES (comma-separated, default "xstate,xstate-floor": the
// newest xstate and the oldest the peer range admits, both devDependencies)
// names the packages under node_modules to use as the consumers' xstate.

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const modules = join(root, 'node_modules')
const fixtures = fileURLToPath(new URL('./consumers', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'keepsake-consumers-'))
const xstates = (process.env.KEEPSAKE_XSTATE_PACKAGES ?? 'xstate,xstate-floor').split(',').filter(Boolean)
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  files: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}
const optionalPeers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => manifest.peerDependenciesMeta?.[name]?.optional)
const required = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optionalPeers.includes(name))]
const TYPES = ['@types/node', '@types/better-sqlite3', '@types/pg']
let tarball: string

beforeAll(async () => {
  // Staged as `npm pack` sees a built checkout: package.json, the files it lists, dist/ fresh from tsup.
  const stage = join(tmp, 'stage')
  mkdirSync(stage)
  cpSync(join(root, 'package.json'), join(stage, 'package.json'))
  for (const file of manifest.files) if (file !== 'dist' && existsSync(join(root, file))) cpSync(join(root, file), join(stage, file), { recursive: true })
  await run(join(modules, '.bin/tsup'), ['--out-dir', join(stage, 'dist'), '--silent'], { cwd: root, timeout: 300_000 })
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: stage, timeout: 60_000 })
  tarball = join(tmp, (JSON.parse(stdout) as { filename: string }[])[0]?.filename as string)
}, 300_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A fresh copy of fixture `name` with the tarball installed, its dependencies, `xstate` and `links` linked; its directory. */
async function project(name: string, xstate: string, links: readonly string[], dir = join(tmp, `${name}-${xstate}-${links.length}`)): Promise<string> {
  cpSync(join(fixtures, name), dir, { recursive: true })
  const keepsake = join(dir, 'node_modules/keepsake')
  mkdirSync(keepsake, { recursive: true })
  await run('tar', ['-xzf', tarball, '-C', keepsake, '--strip-components=1'])
  for (const dependency of [...required, ...links]) {
    const target = join(modules, dependency === 'xstate' ? xstate : dependency)
    mkdirSync(dirname(join(dir, 'node_modules', dependency)), { recursive: true })
    symlinkSync(target, join(dir, 'node_modules', dependency), 'dir')
  }
  return dir
}

const node = async (dir: string, file: string) => JSON.parse((await run(process.execPath, [file], { cwd: dir, timeout: 60_000 })).stdout.trim().split('\n').pop() as string) as unknown
const tsc = (dir: string) => run(join(modules, '.bin/tsc'), ['-p', dir], { cwd: dir, timeout: 120_000 }).catch((error: { stdout?: string }) => {
  throw new Error(`tsc failed in ${dir}:\n${error.stdout ?? String(error)}`)
})

describe('the packed tarball', () => {
  it('holds the build, the package files and no embedded sources in its source maps', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    const files = stdout.trim().split('\n')
    expect(files).toContain('package/dist/isolated-host.js')
    expect(files).toContain('package/dist/isolated-host.cjs')
    expect(files.some((file) => file.startsWith('package/src/'))).toBe(false)
    const dir = join(tmp, 'unpacked')
    mkdirSync(dir)
    await run('tar', ['-xzf', tarball, '-C', dir])
    const map = JSON.parse(readFileSync(join(dir, 'package/dist/index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown }
    expect(map.sources.length).toBeGreaterThan(0)
    expect(map.sourcesContent).toBeUndefined()
  })
})

describe.each(xstates)('consumer projects with %s', (xstate) => {
  const PEERS = [...optionalPeers, ...TYPES]
  // With the peers: the stores and telemetry load; PostgreSQL and NATS are then merely unreachable (an error's class, not MissingDriverError's list).
  const loaded = { sqlite: 'loaded', telemetry: 'loaded', postgres: 'StoreUnavailableError', cluster: expect.any(String) as unknown }

  it('ES modules (nodenext, strict, every peer installed): type-checks and runs, core and every subpath', async () => {
    const dir = await project('esm', xstate, PEERS)
    await tsc(dir)
    expect(await node(dir, 'out/index.js')).toEqual({ afterKill: 1, page: 200, ...loaded })
  }, 180_000)

  it('CommonJS (nodenext, "type": "commonjs"): type-checks against the .d.cts types and runs the require() build', async () => {
    const dir = await project('cjs', xstate, PEERS)
    await tsc(dir)
    expect(readFileSync(join(dir, 'out/index.js'), 'utf8')).toContain('require("keepsake")')
    expect(await node(dir, 'out/index.js')).toEqual({ afterKill: 1, required: true, missingDriverError: 'function' })
  }, 180_000)

  it('a front-end project (moduleResolution bundler, no Node types): type-checks, bundles for the browser, runs', async () => {
    const dir = await project('bundler', xstate, [])
    await tsc(dir)
    await build({ entryPoints: [join(dir, 'index.ts')], bundle: true, platform: 'browser', format: 'esm', outfile: join(dir, 'out.mjs'), logLevel: 'silent' })
    expect(await node(dir, 'out.mjs')).toEqual({ afterKill: 1, afterStop: 1 })
  }, 180_000)

  it('plain .mjs without the optional peers: every subpath imports, and what needs a peer fails with MissingDriverError naming every package', async () => {
    const dir = await project('mjs', xstate, [])
    const install = (names: string[]) => ({ missing: names, install: `npm install ${names.join(' ')}` })
    expect(await node(dir, 'index.mjs')).toEqual({
      afterKill: 1,
      clusterErrors: true,
      sqlite: install(['better-sqlite3']),
      postgres: install(['pg']),
      telemetry: install(['@opentelemetry/api']),
      cluster: install(['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv'])
    })
  }, 180_000)

  it('plain .mjs with the optional peers: each subpath loads its peers', async () => {
    const dir = await project('mjs', xstate, optionalPeers)
    expect(await node(dir, 'index.mjs')).toEqual({ afterKill: 1, clusterErrors: true, ...loaded })
  }, 180_000)

  it('an app bundled with esbuild, keepsake/isolated-host beside it: a thread-isolated worker survives a hang with its state', async () => {
    const dir = await project('bundled-isolation', xstate, [])
    // The app docs/bundling.md shows, as it is there.
    expect(readFileSync(join(root, 'docs/bundling.md'), 'utf8')).toContain(readFileSync(join(dir, 'app.mjs'), 'utf8'))
    // Deployed alone: no node_modules anywhere above the bundle.
    const out = join(tmp, `bundled-out-${xstate}`)
    await build({
      absWorkingDir: dir,
      entryPoints: { app: './app.mjs', counter: './counter.mjs', 'isolated-host': 'keepsake/isolated-host' },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      outdir: out,
      logLevel: 'silent'
    })
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n')
    expect(await node(out, 'app.js')).toEqual({ hung: true, afterHang: 1 })
    // Without the host beside it, the branch does not start, and the error says how to ship it.
    const alone = join(tmp, `bundled-without-host-${xstate}`)
    cpSync(out, alone, { recursive: true })
    rmSync(join(alone, 'isolated-host.js'))
    const failed = await run(process.execPath, ['app.js'], { cwd: alone, timeout: 60_000 }).then(() => undefined, (error: { stderr: string }) => error.stderr)
    expect(failed).toMatch(/InvalidOptionError: Option "isolation" must be 'none' when an isolated worker can't run: its host entry was not found/)
    expect(failed).toContain('isolated-host=keepsake/isolated-host')
  }, 180_000)
})
