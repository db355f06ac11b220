import { afterEach, describe, expect, it } from 'vitest'
import { branchSpec, call, cast, startBranch, startDynamicSupervisor, startSupervisor, transfer, WorkerCrashedError } from '../../src/index'
import { liveRoots, observe } from '../../src/supervisor/observe'
import { probe, type BranchSignal } from '../../src/supervisor/probe'
import { counterMachine } from '../support/logics'

// The probe's edges: observers with only some hooks, removal, and the mark a
// transfer sets so that its resume is not reported as a restart.

const removers: (() => void)[] = []
afterEach(() => {
  for (const remove of removers.splice(0)) remove()
})

/** Process warnings emitted while `run` runs (and one macrotask after). */
async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(w.message)
  process.on('warning', onWarning)
  try {
    await run()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
  }
  return warnings
}

const restart = (id: string): BranchSignal => ({ event: 'restart', args: [{ branchId: id, incarnation: 2, restartsInWindow: 0 }] })
const crash = (id: string): BranchSignal => ({ event: 'crash', args: [{ branchId: id } as never] })

describe('the probe, at its edges', () => {
  it('calls each observer only for the hooks it has: one with a single hook sees every kind of activity without a warning', async () => {
    const settled: string[] = []
    removers.push(observe({ settled: (branch, c) => settled.push(`${branch.id} ${c.eventType}`) }))
    const warnings = await warningsDuring(async () => {
      const [from, to] = await Promise.all([startSupervisor({ id: 'edge-from' }), startDynamicSupervisor({ id: 'edge-to' })])
      const branch = await from.startChild(branchSpec({ branch: { logic: counterMachine, name: 'edge' } }))
      await call(branch as never, { type: 'get' })
      cast(branch as never, { type: 'inc' })
      await expect(call(branch as never, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
      await transfer('edge', from, to)
      await Promise.all([from.stop(), to.stop()])
    })
    expect(warnings).toEqual([])
    expect(settled).toEqual(['edge get', 'edge crash'])
  })

  it('removing an observer stops only that one, and removing it twice removes nothing else', async () => {
    const seen: string[] = []
    const removeA = observe({ delivered: (_, type) => seen.push(`a ${type}`) })
    removers.push(observe({ delivered: (_, type) => seen.push(`b ${type}`) }))
    removers.push(observe({ delivered: (_, type) => seen.push(`c ${type}`) }))
    removeA()
    removeA()
    expect(probe.on).toBe(true)
    const branch = await startBranch({ logic: counterMachine })
    try {
      await call(branch, { type: 'get' })
    } finally {
      await branch.stop()
    }
    expect(seen).toEqual(['b get', 'c get'])
  })

  it("a transfer's mark hides only the resume's restart: a second restart in the same tick is seen", () => {
    const events: string[] = []
    removers.push(observe({ branchEvent: (_, signal) => events.push(signal.event) }))
    const branch = { id: 'moved' }
    probe.transferred(branch, {}, {})
    probe.branchEvent(branch, restart('moved'))
    probe.branchEvent(branch, restart('moved'))
    expect(events).toEqual(['restart'])
  })

  it("a transfer's mark is cleared by the branch's first event, whatever it is", () => {
    const events: string[] = []
    removers.push(observe({ branchEvent: (_, signal) => events.push(signal.event) }))
    const branch = { id: 'moved' }
    probe.transferred(branch, {}, {})
    probe.branchEvent(branch, crash('moved'))
    probe.branchEvent(branch, restart('moved'))
    expect(events).toEqual(['crash', 'restart'])
  })

  it("a transfer's mark concerns its branch only", () => {
    const events: string[] = []
    removers.push(observe({ branchEvent: (b, signal) => events.push(`${(b as { id: string }).id} ${signal.event}`) }))
    const moved = { id: 'moved' }
    probe.transferred(moved, {}, {})
    probe.branchEvent({ id: 'other' }, restart('other'))
    probe.branchEvent(moved, restart('moved'))
    expect(events).toEqual(['other restart'])
  })

  it("a transfer's mark that no resume used is gone by the next microtask: a later restart is seen", async () => {
    const events: string[] = []
    removers.push(observe({ branchEvent: (_, signal) => events.push(signal.event) }))
    const branch = { id: 'moved' }
    probe.transferred(branch, {}, {})
    await Promise.resolve()
    probe.branchEvent(branch, restart('moved'))
    expect(events).toEqual(['restart'])
  })

  it('lists as roots exactly the trees, each by its root: no child branch or supervisor, stopped children skipped', async () => {
    const lone = await startBranch({ logic: counterMachine, name: 'lone' })
    const root = await startSupervisor({
      id: 'root',
      children: [
        branchSpec({ id: 'leaf', branch: { logic: counterMachine, name: 'leaf' } }),
        branchSpec({ id: 'gone', branch: { logic: counterMachine, name: 'gone' } })
      ]
    })
    const dynamic = await startDynamicSupervisor({ id: 'dyn' })
    await dynamic.startChild(branchSpec({ branch: { logic: counterMachine, name: 'pooled' } }))
    try {
      await root.terminateChild('gone')
      expect(liveRoots().map((r) => r.id).sort()).toEqual(['dyn', 'lone', 'root'])
    } finally {
      await Promise.all([lone.stop(), root.stop(), dynamic.stop()])
    }
  })
})
