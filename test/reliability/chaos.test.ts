import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { ChaosReport } from './chaos'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

describe('chaos under load', () => {
  // In its own process: if any timer or listener leaked, the process would not
  // exit on its own and the run would hit its time limit instead.
  it.each([11, 20261125])(
    'seed %i: 50 branches (half durable), 8 clients, kills, stops, transfers and hostile messages; everything acknowledged is there once, in order, and in the stores; nothing hostile is kept',
    async (seed) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/reliability/chaos.ts', '--ops', '30000', '--seed', String(seed)], {
        cwd: root,
        timeout: 120_000
      })
      const report = JSON.parse(stdout) as ChaosReport
      expect(report.violations).toEqual([])
      expect(report.calls + report.casts).toBe(30000)
      expect(report.kills).toBeGreaterThan(50)
      expect(report.stops).toBeGreaterThan(5)
      expect(report.transfers).toBeGreaterThan(20)
      expect(report.poisoned).toBeGreaterThan(300)
      expect(report.hostile).toBeGreaterThan(150) // issue 15: unkeepable values, unreadable callAll lists and dedupe keys
    },
    120_000
  )
})
