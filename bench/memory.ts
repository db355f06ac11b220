import { execFile } from 'node:child_process'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CONTENDERS } from './pair'
import type { Profile } from './profile'
import { bytesUnder, ratioAtMost, row, type Group, type Row } from './report'
import { summarizeBytes, type Measure } from './stats'

const run = promisify(execFile)
const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Issue 5's goal for a passivated branch. */
const PASSIVATED_TARGET_BYTES = 2048

/** Issue 19's goals: a passivated branch of the published build at most 1.5 KB, an active one at most 1.3x a bare root actor. */
const PASSIVATED_BUILD_TARGET_BYTES = 1536
const ACTIVE_TARGET_RATIO = 1.3

type Side = 'keepsake' | 'passivated' | 'xstate'

/**
 * Heap per instance, measured in a fresh child process (see memory-probe.ts);
 * `module` is a build of src/ to take keepsake from instead of src/ through tsx.
 */
async function probe(side: Side, kind: string, count: number, module?: string): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', PROBE, side, kind, String(count)],
    { cwd: ROOT, maxBuffer: 1 << 20, env: { ...process.env, KEEPSAKE_MODULE: module ?? '' } }
  )
  const { bytesPerInstance } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { bytesPerInstance?: number }
  if (typeof bytesPerInstance !== 'number') throw new Error(`memory probe ${side} ${kind} printed ${stdout}`)
  return bytesPerInstance
}

/**
 * src/ built the way it is published (tsup, no keepNames) into a temporary
 * directory, with a link to node_modules so the build finds its dependencies.
 * Returns the entry and a cleanup; undefined (with the reason on stderr) if the
 * build fails, so the tsx figures are still reported.
 */
async function buildWithoutKeepNames(): Promise<{ entry: string; remove: () => Promise<void> } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'keepsake-bench-build-'))
  const remove = () => rm(dir, { recursive: true, force: true })
  try {
    const { build } = await import('tsup')
    await build({
      config: false,
      entry: { index: join(ROOT, 'src/index.ts') },
      format: ['esm'],
      outDir: dir,
      dts: false,
      sourcemap: false,
      splitting: false,
      // .mjs, not .js: the probe runs under tsx, which transforms .js files
      // outside node_modules with keepNames again (measured: a .js build gave
      // exactly the tsx figures); it leaves .mjs alone.
      outExtension: () => ({ js: '.mjs' }),
      silent: true,
      target: 'node20'
    })
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
    return { entry: join(dir, 'index.mjs'), remove }
  } catch (error) {
    console.error(`bench: memory: building src/ with tsup failed, build lines skipped: ${String(error)}`)
    await remove()
    return undefined
  }
}

export async function memoryGroup(profile: Profile): Promise<Group> {
  const n = profile.memoryCount
  // The build lines only in the full run: the smoke run has to stay short.
  const built = profile.quick ? undefined : await buildWithoutKeepNames()
  const rows: Row[] = []
  const figures: Record<string, number> = {}
  const line = (name: string, subject: Measure, floor: Measure, passivated: boolean, build: boolean) =>
    rows.push(
      row({
        name,
        unit: 'bytes',
        subject,
        floor,
        target: passivated
          ? build
            ? bytesUnder(PASSIVATED_BUILD_TARGET_BYTES, 'issue 19', true)
            : bytesUnder(PASSIVATED_TARGET_BYTES)
          : ratioAtMost(ACTIVE_TARGET_RATIO, 'issue 19'),
        ...(passivated ? {} : { anchor: '~10.4 KB per instance' })
      })
    )
  try {
    // One child at a time: two would share the 2 cores with each other.
    for (const { kind } of CONTENDERS) {
      const floor = summarizeBytes('xstate started root actor', [await probe('xstate', kind, n)])
      const builds: [string, string | undefined][] = [['', undefined]]
      if (built) builds.push([', build', built.entry])
      for (const [suffix, module] of builds) {
        for (const side of ['keepsake', 'passivated'] as const) {
          const bytes = await probe(side, kind, n, module)
          const state = side === 'keepsake' ? 'active' : 'passivated'
          figures[`${kind}, ${state}${suffix}`] = bytes
          line(`${kind}, ${state}${suffix ? ` (${suffix.slice(2)} without keepNames)` : ''}`, summarizeBytes('keepsake', [bytes]), floor, side === 'passivated', module !== undefined)
        }
      }
    }
  } finally {
    await built?.remove()
  }
  return {
    id: 'memory',
    title: `memory: heap per branch, ${n.toLocaleString('en-US')} of them, active and passivated`,
    rows,
    figures,
    notes: [
      'Each figure is (heap after - heap before starting them) / count, after full collections, in a ' +
        'child process of its own (node --expose-gc). A bare root actor carries its own actor system, ' +
        'as each branch worker does.',
      'Passivated: branches started with `idleTimeout` on a manual clock, which is then moved past it, ' +
        'so every branch has stopped its worker and keeps only its state (each is checked to report ' +
        '`passivated`) when the heap is read. The ratio is against a bare actor that is running.',
      'src/ runs through tsx, whose esbuild transform keeps function names (keepNames): every named ' +
        'closure gets an own `name` property, stored in dictionary mode. That inflates the keepsake ' +
        'figure against a build without keepNames; RESULTS.md gives the size of the effect.',
      built
        ? 'Lines marked "build": src/ bundled by tsup (as published, no keepNames) into a temporary ' +
          'directory and loaded through KEEPSAKE_MODULE, in the same run.'
        : 'No build lines in this run (the --quick run skips them; a failed build is reported on stderr).'
    ]
  }
}
