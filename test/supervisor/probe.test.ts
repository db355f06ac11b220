import { afterEach, describe, expect, it } from 'vitest'
import { branchSpec, call, cast, startBranch, startDynamicSupervisor, startSupervisor, supervisorSpec, transfer, WorkerCrashedError } from '../../src/index'
import { liveRoots, observe, type Observer } from '../../src/supervisor/observe'
import { live, probe } from '../../src/supervisor/probe'
import { counterMachine } from '../support/logics'

const removers: (() => void)[] = []
afterEach(() => {
  for (const remove of removers.splice(0)) remove()
})

/** Records every hook as a line, in order. */
function recorder(): { lines: string[]; observer: Observer } {
  const lines: string[] = []
  return {
    lines,
    observer: {
      enqueued: (branch, type, c) => lines.push(`enqueued ${branch.id} ${type} ${c ? 'call' : 'cast'}`),
      delivered: (branch, type) => lines.push(`delivered ${branch.id} ${type}`),
      settled: (branch, c) => lines.push(`settled ${branch.id} ${c.eventType} ${c.failed ? 'failed' : 'ok'}`),
      branchEvent: (branch, signal) => lines.push(`${signal.event} ${branch.id}`),
      supervisorEvent: (supervisor, signal) => lines.push(`sup ${signal.event} ${supervisor.id}`),
      transferred: (branch, from, to) => lines.push(`transferred ${branch.id} ${from.id} -> ${to.id}`)
    }
  }
}

describe('the probe', () => {
  it('is off with no observer, and off again once the last one is removed', () => {
    expect(probe.on).toBe(false)
    const remove = observe({})
    expect(probe.on).toBe(true)
    remove()
    expect(probe.on).toBe(false)
  })

  it('sees a call queued, delivered and settled, a cast, a crash and the restart, in order', async () => {
    const { lines, observer } = recorder()
    removers.push(observe(observer))
    const branch = await startBranch({ logic: counterMachine, name: 'probed' })
    await call(branch, { type: 'get' })
    cast(branch, { type: 'inc' })
    await expect(call(branch, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
    await branch.stop()
    expect(lines).toEqual([
      'enqueued probed get call',
      'delivered probed get',
      'settled probed get ok',
      'enqueued probed inc cast',
      'delivered probed inc',
      'enqueued probed crash call',
      'delivered probed crash',
      'settled probed crash failed',
      'crash probed',
      'restart probed',
      'stop probed'
    ])
  })

  it("sees a transfer (not as a restart), a supervisor's child exits and restarts", async () => {
    const { lines, observer } = recorder()
    const [from, to] = await Promise.all([startSupervisor({ id: 'from' }), startDynamicSupervisor({ id: 'to' })])
    const branch = await from.startChild(branchSpec({ branch: { logic: counterMachine, name: 'mover', intensity: { maxRestarts: 0 } } }))
    removers.push(observe(observer))
    await transfer('mover', from, to)
    ;(branch as typeof branch & { kill(): void }).kill()
    await to.whenIdle()
    await Promise.all([from.stop(), to.stop()])
    expect(lines.filter((l) => !l.startsWith('stop') && !l.startsWith('sup stop'))).toEqual([
      'transferred mover from -> to',
      'crash mover',
      'sup childExit to',
      'sup restart to'
    ])
  })

  it('an observer that throws is reported as a warning; the branch carries on', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    removers.push(observe({ delivered: () => { throw new Error('observer bug') } }))
    const branch = await startBranch({ logic: counterMachine })
    try {
      await call(branch, { type: 'inc' })
      expect(await call(branch, { type: 'get' })).toBe(1)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.some((w) => w.includes('observer bug'))).toBe(true)
    } finally {
      process.off('warning', onWarning)
      await branch.stop()
    }
  })

  it('lists the roots of the process: a tree counts once, by its root; nothing is kept once stopped', async () => {
    const lone = await startBranch({ logic: counterMachine })
    const root = await startSupervisor({
      id: 'root',
      children: [supervisorSpec({ supervisor: { id: 'mid', children: [branchSpec({ id: 'leaf', branch: { logic: counterMachine } })] } })]
    })
    const roots = liveRoots()
    expect(roots).toContain(root)
    expect(roots).toContain(lone)
    expect(roots.map((r) => r.id)).not.toContain('mid')
    expect(live.supervisors.size).toBe(2)
    await Promise.all([lone.stop(), root.stop()])
    expect(live.branches.size).toBe(0)
    expect(live.supervisors.size).toBe(0)
    expect(liveRoots()).toEqual([])
  })
})
