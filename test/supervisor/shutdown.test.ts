import { describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import {
  BranchStoppedError,
  branchSpec,
  call,
  deferReply,
  startSupervisor,
  supervisorSpec,
  type ReplyToken
} from '../../src/index'
import { childOf, HandMadeChild, recorded } from '../support/children'
import { ManualClock } from '../support/ManualClock'

/** A child that ignores a graceful stop; only a brutal one (timeout 0) stops it. */
class Stubborn extends HandMadeChild {
  readonly id = 'stubborn'
  stop(options?: { timeout?: number }): Promise<void> {
    if (options?.timeout !== 0) return new Promise(() => {})
    this.exit({ kind: 'shutdown' })
    return Promise.resolve()
  }
}

/** A machine whose `hold` call is answered only on `release`. */
const holder = setup({
  types: { context: {} as { held: ReplyToken | null }, events: {} as { type: 'hold' } | { type: 'release' } }
}).createMachine({
  context: { held: null },
  on: { hold: { actions: assign({ held: () => deferReply() }) } }
})

describe('shutdown', () => {
  it('a child that ignores a graceful stop is cut off after its shutdown time', async () => {
    const clock = new ManualClock()
    const log: string[] = []
    const stubborn = new Stubborn()
    const sup = await startSupervisor({
      clock,
      children: [recorded('first', log), { id: 'stubborn', start: () => stubborn, shutdown: 300 }, recorded('last', log)]
    })
    const cutOff: string[] = []
    sup.on('cutOff', ({ childId }) => cutOff.push(childId))
    let stopped = false
    const stopping = sup.stop().then(() => (stopped = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(log).toEqual(['start first', 'start last', 'stop last'])
    expect(stopped).toBe(false)

    clock.advance(300)
    await stopping
    expect(cutOff).toEqual(['stubborn'])
    expect(stubborn.status).toBe('stopped')
    expect(log.at(-1)).toBe('stop first')
  })

  it("a branch's graceful stop waits for deferred replies, up to its shutdown time", async () => {
    const clock = new ManualClock()
    const sup = await startSupervisor({
      clock,
      children: [branchSpec({ id: 'holder', branch: { logic: holder, clock }, shutdown: 1000 })]
    })
    const branch = childOf(sup, 'holder')
    const held = call(branch, { type: 'hold' }, { timeout: Infinity }).catch((e: unknown) => e)
    const stopping = sup.stop()
    await new Promise((resolve) => setImmediate(resolve))
    expect(branch.status).toBe('stopping')
    clock.advance(1000)
    await stopping
    expect(await held).toBeInstanceOf(BranchStoppedError)
  })

  it("'brutal' stops at once, without waiting for deferred replies", async () => {
    const sup = await startSupervisor({ children: [branchSpec({ id: 'holder', branch: { logic: holder }, shutdown: 'brutal' })] })
    const held = call(childOf(sup, 'holder'), { type: 'hold' }, { timeout: Infinity }).catch((e: unknown) => e)
    await sup.stop()
    expect(await held).toBeInstanceOf(BranchStoppedError)
  })

  it('stop() resolves only when the whole subtree has stopped', async () => {
    const log: string[] = []
    const inner = { id: 'inner', children: [recorded('x', log), recorded('y', log)] }
    const sup = await startSupervisor({ children: [recorded('a', log), supervisorSpec({ supervisor: inner })] })
    await sup.stop()
    expect(log).toEqual(['start a', 'start x', 'start y', 'stop y', 'stop x', 'stop a'])
  })
})
