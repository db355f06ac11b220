import { execFile } from 'node:child_process'
import { Console } from 'node:console'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import {
  branchSpec,
  call,
  InvalidOptionError,
  reportCrashes,
  startBranch,
  startSupervisor,
  WorkerCrashedError,
  type AnyBranch,
  type ChildSpec,
  type SupervisorReport
} from '../../src/index'
import { counterMachine } from '../support/logics'

const removers: (() => void)[] = []
afterEach(() => {
  for (const remove of removers.splice(0)) remove()
})

/** A logger with pino's call shape (merging object, then message) that writes JSON lines, as pino does. */
function jsonLines(): { lines: string[]; logger: { error(obj: object, msg: string): void } } {
  const lines: string[] = []
  return { lines, logger: { error: (obj, msg) => lines.push(JSON.stringify({ level: 50, ...obj, msg })) } }
}

const reports = (lines: string[]): (SupervisorReport & { msg: string })[] => lines.map((l) => JSON.parse(l))

describe('crash reports', () => {
  it("a worker's crash: its branch is the supervisor, the worker the offender, the reason as data", async () => {
    const { lines, logger } = jsonLines()
    removers.push(reportCrashes(logger))
    const branch = await startBranch({ logic: counterMachine, name: 'reported' })
    await expect(call(branch, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
    await branch.stop()
    const [report, ...rest] = reports(lines)
    expect(rest).toEqual([])
    expect(report).toMatchObject({
      supervisor: 'reported',
      context: 'child_terminated',
      reason: { name: 'Error', message: 'action crashed' },
      offender: { id: 'worker', type: 'worker', incarnation: 1, eventType: 'crash' }
    })
    expect(report?.reason).toHaveProperty('stack', expect.stringContaining('action crashed'))
    expect(report?.msg).toBe('keepsake: supervisor "reported" child_terminated (worker "worker"): Error: action crashed')
  })

  it('a branch that gives up, and its supervisor giving up in turn: child_terminated, then shutdown with reached_max_restart_intensity', async () => {
    const { lines, logger } = jsonLines()
    removers.push(reportCrashes(logger))
    const root = await startSupervisor({
      id: 'root',
      maxRestarts: 0,
      children: [branchSpec({ id: 'fragile', restart: 'transient', branch: { logic: counterMachine, intensity: { maxRestarts: 0 } } })]
    })
    const stopped = new Promise((resolve) => root.once('stop', resolve))
    ;(root.whichChildren()[0]?.child as AnyBranch).kill()
    await stopped
    expect(reports(lines).map(({ supervisor, context, reason, offender }) => [supervisor, context, typeof reason === 'string' ? reason : reason.code, offender.id, offender.restart])).toEqual([
      [expect.stringMatching(/^branch-/), 'child_terminated', undefined, 'worker', undefined],
      [expect.stringMatching(/^branch-/), 'shutdown', 'reached_max_restart_intensity', 'worker', undefined],
      ['root', 'child_terminated', 'RESTART_INTENSITY_EXCEEDED', 'fragile', 'transient'],
      ['root', 'shutdown', 'reached_max_restart_intensity', 'root', undefined]
    ])
  })

  it('a restart that fails is a start_error; a child cut off at shutdown is a shutdown_error', async () => {
    const { lines, logger } = jsonLines()
    removers.push(reportCrashes(logger))
    let starts = 0
    const flaky: ChildSpec = {
      id: 'flaky',
      restart: 'transient',
      start: async () => {
        if (++starts > 1) throw new Error('device gone')
        return startBranch({ logic: counterMachine, intensity: { maxRestarts: 0 } })
      }
    }
    const stubborn: ChildSpec = {
      id: 'stubborn',
      shutdown: 'brutal',
      start: () => ({ id: 'stubborn', status: 'running', stop: () => new Promise<void>(() => undefined), on: () => undefined, off: () => undefined })
    }
    const root = await startSupervisor({ id: 'shop', maxRestarts: 1, children: [stubborn, flaky] })
    root.on('stop', () => undefined)
    ;(root.whichChildren()[1]?.child as AnyBranch).kill()
    await root.whenIdle()
    await root.stop()
    const contexts = reports(lines).filter((r) => r.supervisor === 'shop').map((r) => [r.context, r.offender.id, typeof r.reason === 'string' ? r.reason : r.reason.message])
    expect(contexts).toContainEqual(['start_error', 'flaky', 'device gone'])
    expect(contexts).toContainEqual(['shutdown_error', 'stubborn', 'killed'])
  })

  it("works with console's shape: the message, then the report", async () => {
    let text = ''
    const sink = new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) })
    removers.push(reportCrashes(new Console({ stdout: sink, stderr: sink })))
    const branch = await startBranch({ logic: counterMachine, name: 'consoled' })
    branch.kill(new Error('rehearsal'))
    await branch.stop()
    expect(text).toContain("supervisor: 'consoled'")
    expect(text).toContain("context: 'child_terminated'")
    expect(text).toContain("message: 'rehearsal'")
    expect(text).toContain('keepsake: supervisor "consoled" child_terminated (worker "worker"): Error: rehearsal')
  })

  it('stops reporting once removed, and rejects a logger without an error method', async () => {
    const { lines, logger } = jsonLines()
    reportCrashes(logger)()
    const branch = await startBranch({ logic: counterMachine })
    branch.kill()
    await branch.stop()
    expect(lines).toEqual([])
    for (const bad of [undefined, null, {}, { error: 'no' }, 42]) {
      expect(() => reportCrashes(bad as never)).toThrow(InvalidOptionError)
    }
  })

  it('prints nothing by default: a process full of crashes, give-ups and failed restarts writes no output', async () => {
    const script = fileURLToPath(new URL('./silent-crash.ts', import.meta.url))
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 })
    expect(stdout).toBe('')
    expect(stderr).toBe('')
  })
})
