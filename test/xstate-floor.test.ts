import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as floor from 'xstate-floor'
import * as xstate from 'xstate'

// Run in the `xstate-floor` project only (vitest.config.ts), where `xstate` is the oldest version
// package.json's peer range admits: the core suites beside this file run against it.
describe('the xstate floor', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    peerDependencies: Record<string, string>
    devDependencies: Record<string, string>
  }

  it('is what `xstate` resolves to in this project', () => {
    expect(xstate).toBe(floor)
  })

  it('is the lowest minor of the peer range', () => {
    const lowest = /^(?:\^|>=)(\d+\.\d+)\.0(?: <6)?$/.exec(pkg.peerDependencies.xstate ?? '')?.[1]
    const installed = /^npm:xstate@(\d+\.\d+)\.\d+$/.exec(pkg.devDependencies['xstate-floor'] ?? '')?.[1]
    expect(lowest).toBeDefined()
    expect(installed).toBe(lowest)
  })
})
