import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CONTENDERS } from './pair'
import type { Profile } from './profile'
import { row, type Group } from './report'
import { summarizeBytes } from './stats'

const run = promisify(execFile)
const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Heap per instance, measured in a fresh child process (see memory-probe.ts). */
async function probe(side: 'keepsake' | 'xstate', kind: string, count: number): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', PROBE, side, kind, String(count)],
    { cwd: ROOT, maxBuffer: 1 << 20 }
  )
  const { bytesPerInstance } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { bytesPerInstance?: number }
  if (typeof bytesPerInstance !== 'number') throw new Error(`memory probe ${side} ${kind} printed ${stdout}`)
  return bytesPerInstance
}

export async function memoryGroup(profile: Profile): Promise<Group> {
  const n = profile.memoryCount
  const rows = []
  // One child at a time: two would share the 2 cores with each other.
  for (const { kind } of CONTENDERS) {
    const keepsake = await probe('keepsake', kind, n)
    const xstate = await probe('xstate', kind, n)
    rows.push(
      row({
        name: `${kind}, active`,
        unit: 'bytes',
        subject: summarizeBytes('keepsake', [keepsake]),
        floor: summarizeBytes('xstate started root actor', [xstate]),
        anchor: '~10.4 KB per instance'
      })
    )
  }
  return {
    id: 'memory',
    title: `memory: heap per live branch, ${n.toLocaleString('en-US')} alive`,
    rows,
    notes: [
      'Each figure is (heap after - heap before starting them) / count, after full collections, in a ' +
        'child process of its own (node --expose-gc). A bare root actor carries its own actor system, ' +
        'as each branch worker does.',
      'src/ runs through tsx, whose esbuild transform keeps function names (keepNames): every named ' +
        'closure gets an own `name` property, stored in dictionary mode. That inflates the keepsake ' +
        'figure against a build without keepNames; RESULTS.md gives the size of the effect.',
      'Passivated branches (issue 5: under 2 KB each) are not measured: passivation does not exist yet.'
    ]
  }
}
