import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { gcExposed } from './harness'

/** Where and how a run happened: numbers from different machines, modes or sources don't compare. */
export interface Environment {
  readonly date: string
  readonly node: string
  readonly cpu: string
  readonly cores: number
  readonly xstate: string
  /** The commit of the measured src/, and whether src/ differed from it. */
  readonly source: string
  readonly gcExposed: boolean
  readonly quick: boolean
}

export function describeEnvironment(quick: boolean): Environment {
  const require = createRequire(import.meta.url)
  return {
    date: new Date().toISOString(),
    node: process.versions.node,
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    xstate: (require('xstate/package.json') as { version: string }).version,
    source: describeSource(),
    gcExposed,
    quick
  }
}

// The benchmarks import ../src, so a run measures the working tree: say which.
function describeSource(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim()
  try {
    const dirty = git('status', '--porcelain', '--', 'src') !== ''
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in src/' : ''}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}
