import { describe, expect, it } from 'vitest'
import {
  branchSpec,
  call,
  InvalidOptionError,
  startBranch,
  startDynamicSupervisor,
  startSupervisor,
  supervisorSpec,
  transfer,
  type Supervisor
} from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

// The child specs' defaults and transfer's argument checks, each observed (issue 15's mutation score).

const running = stoppedAfterEach<Supervisor>()
async function started(options: Parameters<typeof startSupervisor>[0]) {
  const sup = await startSupervisor(options)
  running.push(sup)
  return sup
}

describe('branchSpec and supervisorSpec', () => {
  it("a branch child's id is its spec's id, else its branch's name; a supervisor child's, its supervisor's id", async () => {
    const root = await started({
      children: [
        branchSpec({ branch: { logic: counterReducer, name: 'named-counter' } }),
        branchSpec({ id: 'chosen', branch: { logic: counterReducer, name: 'other-name' } }),
        supervisorSpec({ supervisor: { id: 'inner' } }),
        supervisorSpec({ id: 'outer-chosen', supervisor: { id: 'inner-2' } })
      ]
    })
    expect(root.whichChildren().map((child) => [child.id, child.type])).toEqual([
      ['named-counter', 'worker'],
      ['chosen', 'worker'],
      ['inner', 'supervisor'],
      ['outer-chosen', 'supervisor']
    ])
    expect(await call('other-name', { type: 'inc' })).toBe(1)
  })

  it('a branch child with neither id nor name gets one from a dynamic supervisor', async () => {
    const dynamic = await startDynamicSupervisor()
    running.push(dynamic)
    const child = await dynamic.startChild(branchSpec({ branch: { logic: counterReducer } }))
    expect(typeof child.id).toBe('string')
    expect(dynamic.countChildren().active).toBe(1)
  })

  it('a child whose id would come from a name that is not a string is refused, naming the value', async () => {
    const error = await startSupervisor({ children: [branchSpec({ branch: { logic: counterReducer, name: 42 } } as never)] }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'InvalidOptionError', option: 'id', message: expect.stringContaining('got number 42') })
    const nested = await startSupervisor({ children: [supervisorSpec({ supervisor: { id: 7 } } as never)] }).catch((e: unknown) => e)
    expect(nested).toMatchObject({ option: 'id', message: expect.stringContaining('got number 7') })
  })

  it('keeps the spec options it does not own (restart, shutdown) on the child spec', () => {
    const spec = branchSpec({ id: 'x', restart: 'transient', shutdown: 250, branch: { logic: counterReducer } })
    expect(spec).toMatchObject({ id: 'x', type: 'worker', restart: 'transient', shutdown: 250 })
    expect(supervisorSpec({ restart: 'temporary', supervisor: {} })).toMatchObject({ type: 'supervisor', restart: 'temporary' })
  })

  it.each([
    ['options that are not an object', () => branchSpec('counter' as never), 'branchSpec options'],
    ['a branch that is not an object', () => branchSpec({ branch: 42 } as never), 'branch'],
    ['a keepState that is not a boolean', () => branchSpec({ branch: { logic: counterReducer }, keepState: 'yes' } as never), 'keepState', 'a boolean'],
    ['supervisorSpec options that are not an object', () => supervisorSpec(7 as never), 'supervisorSpec options'],
    ['a supervisor that is not an object', () => supervisorSpec({ supervisor: 'root' } as never), 'supervisor']
  ] as [string, () => unknown, string, string?][])('%s: InvalidOptionError naming it', (_, build, option, expected) => {
    let error: unknown
    try {
      build()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
    if (expected) expect((error as Error).message).toContain(`must be ${expected}`)
  })
})

describe('transfer', () => {
  it.each([
    ['from', 'a Supervisor', (a: Supervisor) => [a.id, 'x', a]],
    ['to', 'a Supervisor', (a: Supervisor) => ['x', a, {}]],
    ['target', 'a Branch or the name of a running branch', (a: Supervisor) => [42, a, a]],
    ['target', 'a Branch or the name of a running branch', (a: Supervisor) => ['no-such-branch', a, a]]
  ] as const)('refuses a bad %s with InvalidOptionError naming it and what it must be', async (option, expected, args) => {
    const a = await started({ id: 'transfer-a' })
    const [target, from, to] = args(a)
    await expect((transfer as (...xs: unknown[]) => Promise<void>)(target, from, to)).rejects.toMatchObject({ name: 'InvalidOptionError', option, message: expect.stringContaining(`must be ${expected};`) })
  })

  it('to the supervisor it is under: nothing happens', async () => {
    const a = await started({ id: 'transfer-self', children: [branchSpec({ branch: { logic: counterReducer, name: 'stays' } })] })
    await call('stays', { type: 'inc' })
    await transfer('stays', a, a)
    expect(a.tree().children?.map((c) => c.id)).toEqual(['stays'])
    expect(await call('stays', { type: 'inc' })).toBe(2)
  })

  it('a branch no supervisor holds cannot be moved: the typed error of the supervisor that lacks it', async () => {
    const a = await started({ id: 'transfer-from' })
    const b = await started({ id: 'transfer-to' })
    const loose = await startBranch({ logic: counterReducer })
    await expect(transfer(loose, a, b)).rejects.toMatchObject({ name: 'UnknownChildError' })
    await loose.stop()
  })
})
