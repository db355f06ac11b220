import { describe, expect, it } from 'vitest'
import { startSupervisor, type Supervisor } from '../../src/index'
import { childOf, exits, recorded } from '../support/children'
import { stoppedAfterEach } from '../support/cleanup'

const running = stoppedAfterEach<Supervisor>()

async function threeChildren(strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one', log: string[]) {
  const sup = await startSupervisor({ strategy, children: ['a', 'b', 'c'].map((id) => recorded(id, log)) })
  running.push(sup)
  return sup
}

describe('strategies, with three children a, b, c started in order', () => {
  it.each([
    ['one_for_one', ['stop b', 'start b']],
    ['one_for_all', ['stop b', 'stop c', 'stop a', 'start a', 'start b', 'start c']],
    ['rest_for_one', ['stop b', 'stop c', 'start b', 'start c']]
  ] as const)('%s: b fails; these stop and start, in this order', async (strategy, expected) => {
    const log: string[] = []
    const sup = await threeChildren(strategy, log)
    expect(log).toEqual(['start a', 'start b', 'start c'])
    log.length = 0
    const before = sup.whichChildren().map((c) => c.child)

    exits.failure(childOf(sup, 'b'))
    await sup.whenIdle()

    expect(log).toEqual(expected)
    const after = sup.whichChildren()
    expect(after.map((c) => c.status)).toEqual(['running', 'running', 'running'])
    const restarted = after.filter((c, i) => c.child !== before[i]).map((c) => c.id)
    expect(restarted).toEqual(expected.filter((e) => e.startsWith('start')).map((e) => e.slice(6)))
  })

  it('children start in order and stop in reverse order', async () => {
    const log: string[] = []
    const sup = await threeChildren('one_for_one', log)
    running.pop()
    await sup.stop()
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
    expect(sup.status).toBe('stopped')
  })
})

describe('restart types after each kind of exit', () => {
  // OTP's table: permanent always, transient only after a failure, temporary never (and its spec goes).
  const table = [
    ['permanent', 'normal', true],
    ['permanent', 'shutdown', true],
    ['permanent', 'failure', true],
    ['transient', 'normal', false],
    ['transient', 'shutdown', false],
    ['transient', 'failure', true],
    ['temporary', 'normal', false],
    ['temporary', 'shutdown', false],
    ['temporary', 'failure', false]
  ] as const

  it.each(table)('%s child, %s exit: restarted = %s', async (restart, exit, restarted) => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [recorded('x', log, { restart })] })
    running.push(sup)
    exits[exit](childOf(sup, 'x'))
    await sup.whenIdle()

    expect(log.filter((e) => e === 'start x')).toHaveLength(restarted ? 2 : 1)
    const specs = sup.whichChildren()
    if (restart === 'temporary') expect(specs).toEqual([])
    else expect(specs[0]?.status).toBe(restarted ? 'running' : 'stopped')
  })

  it('a temporary child is not restarted even as a bystander, and its spec is dropped', async () => {
    const log: string[] = []
    const sup = await startSupervisor({
      strategy: 'one_for_all',
      children: [recorded('a', log), recorded('t', log, { restart: 'temporary' }), recorded('c', log)]
    })
    running.push(sup)
    log.length = 0
    exits.failure(childOf(sup, 'c'))
    await sup.whenIdle()
    expect(log).toEqual(['stop c', 'stop t', 'stop a', 'start a', 'start c'])
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a', 'c'])
  })
})
