import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

describe('keyed pool memory', () => {
  it(
    '10,000 keys (and 10,000 branches) with idle passivation: a passivated one holds no actor and stays within the target',
    async () => {
      const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/reliability/pool-memory.ts'], {
        cwd: root,
        timeout: 120_000
      })
      const report = JSON.parse(stdout) as Record<'activeBytesPerKey' | 'passivatedBytesPerKey' | 'activeBytesPerBranch' | 'passivatedBytesPerBranch', number> & { allPassivated: boolean }
      expect(report.allPassivated).toBe(true)
      // Measured (10,000 and 100,000 keys alike): ~12 KB per active key, ~5 KB
      // per passivated one (the branch, its keeper and state, its supervisor
      // record). The target: under 8 KB, and well under an active key.
      expect(report.passivatedBytesPerKey).toBeLessThan(8_000)
      expect(report.passivatedBytesPerKey).toBeLessThan(report.activeBytesPerKey * 0.6)
      // A plain branch: ~10.7 KB active, ~3.6 KB passivated.
      expect(report.passivatedBytesPerBranch).toBeLessThan(6_000)
      expect(report.passivatedBytesPerBranch).toBeLessThan(report.activeBytesPerBranch * 0.6)
    },
    120_000
  )
})
