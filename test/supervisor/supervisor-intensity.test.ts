import { describe, expect, it } from 'vitest'
import {
  RestartIntensityExceeded,
  startSupervisor,
  supervisorSpec,
  type StopReason,
  type Supervisor
} from '../../src/index'
import { childOf, exits, recorded } from '../support/children'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const running = stoppedAfterEach<Supervisor>()

function stopReason(sup: Supervisor): Promise<StopReason> {
  return new Promise((resolve) => sup.on('stop', resolve))
}

describe('supervisor restart intensity (default 3 in 5 s)', () => {
  it('survives 3 restarts inside the window; the 4th stops it with RestartIntensityExceeded', async () => {
    const clock = new ManualClock()
    const log: string[] = []
    const sup = await startSupervisor({ clock, children: [recorded('x', log)] })
    running.push(sup)
    const stopped = stopReason(sup)
    for (let i = 0; i < 3; i++) {
      exits.failure(childOf(sup, 'x'))
      await sup.whenIdle()
      clock.advance(1000)
    }
    expect(sup.status).toBe('running')
    exits.failure(childOf(sup, 'x'))
    // OTP's supervisor exits with shutdown; the reason carries why.
    const reason = await stopped
    expect(reason.kind).toBe('shutdown')
    expect((reason as { cause: unknown }).cause).toBeInstanceOf(RestartIntensityExceeded)
    expect(sup.status).toBe('stopped')
    expect(log.filter((e) => e === 'start x')).toHaveLength(4)
  })

  it('survives any number of restarts spread beyond the window', async () => {
    const clock = new ManualClock()
    const log: string[] = []
    const sup = await startSupervisor({ clock, maxRestarts: 1, maxSeconds: 1, children: [recorded('x', log)] })
    running.push(sup)
    for (let i = 0; i < 10; i++) {
      exits.failure(childOf(sup, 'x'))
      await sup.whenIdle()
      clock.advance(1001)
    }
    expect(sup.status).toBe('running')
    expect(sup.whichChildren()[0]?.restarts).toBe(10)
  })

  it('an intensity of 0 gives up at the first restart; nonsense is rejected', async () => {
    const sup = await startSupervisor({ maxRestarts: 0, children: [recorded('x', [])] })
    const stopped = stopReason(sup)
    running.push(sup)
    exits.failure(childOf(sup, 'x'))
    expect((await stopped).kind).toBe('shutdown')
    await expect(startSupervisor({ maxRestarts: -1 })).rejects.toThrow(/maxRestarts/)
    await expect(startSupervisor({ maxSeconds: 0 })).rejects.toThrow(/maxSeconds/)
  })

  it('one_for_one_escalation: escalates through three levels of nesting, and the top announces its shutdown', async () => {
    const log: string[] = []
    const leaf = { id: 'leaf', maxRestarts: 1, children: [recorded('device', log)] }
    const mid = { id: 'mid', maxRestarts: 0, children: [supervisorSpec({ supervisor: leaf })] }
    const root = await startSupervisor({ id: 'root', maxRestarts: 0, children: [supervisorSpec({ supervisor: mid })] })
    const announced = new Promise<StopReason>((resolve) => root.on('shutdown', resolve))
    const midSup = root.whichChildren()[0]?.child as Supervisor
    const leafSup = midSup.whichChildren()[0]?.child as Supervisor

    exits.failure(childOf(leafSup, 'device')) // leaf restarts it (1 of 1)
    await leafSup.whenIdle()
    exits.failure(childOf(leafSup, 'device')) // leaf gives up; mid (0) gives up; root (0) gives up

    const reason = (await announced) as Extract<StopReason, { kind: 'shutdown' }>
    const chain: string[] = []
    for (let e: unknown = reason.cause; e instanceof RestartIntensityExceeded; e = e.cause) chain.push(e.id)
    expect(chain).toEqual(['root', 'mid', 'leaf', expect.stringMatching(/^branch-/)])
    expect([root.status, midSup.status, leafSup.status]).toEqual(['stopped', 'stopped', 'stopped'])
    expect(log).toEqual(['start device', 'stop device', 'start device', 'stop device'])
  })
})
