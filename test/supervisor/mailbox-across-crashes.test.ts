import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import {
  BranchStoppedError,
  call,
  CallTimeoutError,
  cast,
  RestartIntensityExceeded,
  startBranch,
  WorkerCrashedError,
  type AnyBranch
} from '../../src/index'
import { journalReducer } from '../support/logics'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

type JournalEvent = { type: 'add'; id: number; fail?: boolean } | { type: 'get' } | { type: 'burst' }

/** On `burst`, casts 100 adds to its own branch from inside its transition: they queue behind it. */
const burstingJournal = fromTransition((ids: readonly number[], event: JournalEvent) => {
  if (event.type === 'burst') {
    for (let id = 1; id <= 100; id++) cast('journal', { type: 'add', id, fail: id === 50 })
    return ids
  }
  if (event.type !== 'add') return ids
  if (event.fail) throw new Error(`add ${event.id} crashed`)
  return [...ids, event.id]
}, [] as readonly number[])

/** A reducer whose worker fails to start `failures.left` times once armed. */
function flakyStarter(failures: { left: number }) {
  return {
    ...journalReducer,
    start() {
      if (failures.left > 0) {
        failures.left--
        throw new Error('device not ready')
      }
    }
  }
}

describe('messages across a crash', () => {
  it('100 queued casts with a crashing one in the middle: all others applied once, in order', async () => {
    const branch = await startBranch({ logic: burstingJournal, name: 'journal' })
    started.push(branch)
    const crashes: unknown[] = []
    branch.on('crash', (report) => crashes.push(report.event))

    cast(branch, { type: 'burst' })

    const expected = Array.from({ length: 100 }, (_, i) => i + 1).filter((id) => id !== 50)
    expect(await call(branch, { type: 'get' })).toEqual(expected)
    expect(crashes).toEqual([{ type: 'add', id: 50, fail: true }])
  })

  it('a call whose message crashes the worker rejects with the cause; the calls behind it are answered', async () => {
    const branch = await startBranch({ logic: journalReducer })
    started.push(branch)
    const results = await Promise.allSettled([
      call(branch, { type: 'add', id: 1 }),
      call(branch, { type: 'add', id: 2, fail: true }),
      call(branch, { type: 'add', id: 3 })
    ])
    expect(results[0]).toEqual({ status: 'fulfilled', value: [1] })
    expect(results[1]?.status).toBe('rejected')
    const error = (results[1] as PromiseRejectedResult).reason as WorkerCrashedError
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error.cause as Error).message).toBe('add 2 crashed')
    expect(results[2]).toEqual({ status: 'fulfilled', value: [1, 3] })
  })

  it('messages sent while no worker is up wait for the restarted one, in order', async () => {
    const failures = { left: 0 }
    const branch = await startBranch({ logic: flakyStarter(failures) })
    started.push(branch)
    cast(branch, { type: 'add', id: 1 })

    failures.left = 2
    const restarted = new Promise((resolve) => branch.on('restart', resolve))
    branch.kill()
    expect(branch.status).toBe('restarting')
    cast(branch, { type: 'add', id: 2 })
    const answer = call(branch, { type: 'add', id: 3 })
    cast(branch, { type: 'add', id: 4 })

    await restarted
    expect(await answer).toEqual([1, 2, 3])
    expect(await call(branch, { type: 'get' })).toEqual([1, 2, 3, 4])
    // One kill and two failed starts: three restarts counted.
    expect(branch.children()[1]).toMatchObject({ status: 'running', restarts: 3 })
  })

  it('a call waiting for a worker that keeps failing to start is bounded by its own timeout', async () => {
    const failures = { left: 0 }
    const clock = new ManualClock()
    const branch = await startBranch({ logic: flakyStarter(failures), clock, intensity: { maxRestarts: 1e9, maxSeconds: 60 } })
    started.push(branch)
    failures.left = Infinity
    branch.kill()
    const waiting = call(branch, { type: 'get' }, { timeout: 500 }).catch((e: unknown) => e)
    clock.advance(500)
    expect(await waiting).toBeInstanceOf(CallTimeoutError)
    expect(branch.status).toBe('restarting')
  })

  it('a call waiting for a worker that never comes back is bounded by the branch stopping', async () => {
    const failures = { left: 0 }
    const branch = await startBranch({ logic: flakyStarter(failures), intensity: { maxRestarts: 3, maxSeconds: 60 } })
    const stopped = new Promise<unknown>((resolve) => branch.on('stop', resolve))
    failures.left = Infinity
    branch.kill()
    const waiting = call(branch, { type: 'get' }).catch((e: unknown) => e)

    const reason = (await stopped) as { kind: string; error: unknown }
    expect(reason.kind).toBe('failure')
    expect(reason.error).toBeInstanceOf(RestartIntensityExceeded)
    const error = (await waiting) as BranchStoppedError
    expect(error).toBeInstanceOf(BranchStoppedError)
    expect(error.cause).toBe(reason.error)
    await expect(call(branch, { type: 'get' })).rejects.toBeInstanceOf(BranchStoppedError)
    expect(() => cast(branch, { type: 'get' })).toThrow(BranchStoppedError)
  })
})
