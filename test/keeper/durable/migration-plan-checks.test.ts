import { describe, expect, it } from 'vitest'
import { createActor, fromCallback, fromTransition, setup } from 'xstate'
import { InvalidOptionError, MemoryStore, migrateStore, migrations, type MigrateStoreOptions } from '../../../src/index'

// The edges of the version options and of the `validate` verdicts, through `migrateStore` (which reads
// them as a branch's `durable` options are read) on an in-memory store.
const counter = fromTransition((s: { total: number }) => s, { total: 0 })
type V1 = { context: { count: number } }
const toV2 = (s: V1) => ({ ...s, context: { total: s.context.count } })

function refusal(make: () => unknown): Promise<InvalidOptionError> {
  return (async () => make())().then(
    () => expect.fail('expected InvalidOptionError'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(InvalidOptionError)
      return error as InvalidOptionError
    }
  )
}

async function storeAtV1(): Promise<MemoryStore> {
  const store = new MemoryStore()
  await store.saveSnapshot('c', { seq: 3, data: { status: 'active', context: { count: 5 } }, version: 1 })
  return store
}

describe('migrations(from) and step(to)', () => {
  it('starts a chain at the version given, and refuses one that is not an integer >= 1', async () => {
    expect(migrations(4)).toMatchObject({ from: 4, version: 4 })
    expect(migrations<V1>(4).step(5, toV2)).toMatchObject({ from: 4, version: 5 })
    for (const from of [0, -1, 1.5, Number.NaN]) {
      expect((await refusal(() => migrations(from))).message).toBe(`Option "migrations(from)" must be an integer >= 1; got number ${String(from)}.`)
    }
  })

  it('names the next version when a step is out of order, and refuses a step that is not a function', async () => {
    const chain = migrations<V1>().step(2, toV2)
    expect((await refusal(() => chain.step(2, (s) => s))).message).toContain('must be the next version, 3;')
    expect(await refusal(() => chain.step(3, 'toV3' as never))).toMatchObject({ option: 'migrations.step(3)' })
    expect(chain.version).toBe(2) // a refused step leaves the chain as it was
  })
})

describe('the version options', () => {
  const store = new MemoryStore()
  const plan = (options: Record<string, unknown>) => migrateStore(store, { logic: counter, ...options } as MigrateStoreOptions)

  it('accepts versions from 1 to 2^31 - 1', async () => {
    expect(await plan({ version: 1 })).toMatchObject({ version: 1 })
    expect(await plan({ version: 2 ** 31 - 1 })).toMatchObject({ version: 2 ** 31 - 1 })
  })

  it.each([0, -3, 2 ** 31, 1.5, '2'])('refuses version %s, naming the range', async (version) => {
    const error = await refusal(() => plan({ version }))
    expect(error.option).toBe('migrateStore.version')
    expect(error.message).toContain('must be an integer from 1 to 2^31 - 1;')
  })

  it('takes eventVersion as the older name of version, equal to it when both are given', async () => {
    expect(await plan({ eventVersion: 3 })).toMatchObject({ version: 3 })
    expect(await plan({ version: 3, eventVersion: 3 })).toMatchObject({ version: 3 })
    expect((await refusal(() => plan({ eventVersion: 0 }))).option).toBe('migrateStore.eventVersion')
    const differing = await refusal(() => plan({ version: 3, eventVersion: 2 }))
    expect(differing.option).toBe('migrateStore.eventVersion')
    expect(differing.message).toContain('equal to migrateStore.version (one version covers')
  })

  it('defaults the version to the highest step, and refuses a version below it, naming both', async () => {
    expect(await plan({ migrations: { 2: toV2, 3: toV2 } })).toMatchObject({ version: 3 })
    expect(await plan({ migrations: migrations<V1>().step(2, toV2) })).toMatchObject({ version: 2 })
    expect(await plan({})).toMatchObject({ version: 1 })
    const below = await refusal(() => plan({ version: 2, migrations: { 3: toV2 } }))
    expect(below.option).toBe('migrateStore.migrations')
    expect(below.message).toBe('Option "migrateStore.migrations" must be steps to versions up to migrateStore.version (2); got number 3.')
  })

  it.each([
    ['an array', [toV2]],
    ['null', null],
    ['a string', 'toV2'],
    ['a function', toV2]
  ])('refuses migrations that are %s, naming the forms it takes', async (_, migrations) => {
    const error = await refusal(() => plan({ migrations }))
    expect(error.option).toBe('migrateStore.migrations')
    expect(error.message).toContain('must be migrations<V1>().step(2, ...) or a record { 2: (s: V1) => V2, ... };')
  })

  it.each(['1', '2.5', '02', 'two', '-2'])('refuses a step keyed %s: a key is the integer version it produces, from 2', async (key) => {
    const error = await refusal(() => plan({ migrations: { [key]: toV2 } }))
    expect(error.option).toBe(`migrateStore.migrations[${key}]`)
    expect(error.message).toContain('must be keyed by the version it produces, an integer >= 2;')
  })

  it('refuses a validate or an onProgress that is not a function, and logic that is not logic', async () => {
    expect((await refusal(() => plan({ validate: 'yes' }))).option).toBe('migrateStore.validate')
    expect((await refusal(() => plan({ onProgress: true }))).option).toBe('migrateStore.onProgress')
    await expect(migrateStore(store, { logic: {} } as never)).rejects.toMatchObject({ code: 'INVALID_LOGIC' })
  })
})

describe('the validate verdict on a migrated snapshot', () => {
  const failure = async (validate: (s: never) => unknown) => {
    const report = await migrateStore(await storeAtV1(), { logic: counter, migrations: { 2: toV2 }, validate: validate as never })
    return report.failed.map((e) => e.reason)
  }

  it('passes it on true or nothing, and tells it the id and the version migrated from', async () => {
    const told: unknown[] = []
    expect(await failure((s) => void told.push(s))).toEqual([])
    expect(
      await failure((s: { context: { total: number } }, ...rest: unknown[]) => (told.push(rest[0]), s.context.total === 5))
    ).toEqual([])
    expect(told).toEqual([{ status: 'active', context: { total: 5 } }, { id: 'c', from: 1 }])
  })

  it('refuses it on false, a reason, or a throw, saying which', async () => {
    expect(await failure(() => false)).toEqual(['durable.validate refused the migrated snapshot (it returned boolean false)'])
    expect(await failure(() => 0)).toEqual(['durable.validate refused the migrated snapshot (it returned number 0)'])
    expect(await failure(() => 'no total')).toEqual(['durable.validate refused the migrated snapshot: no total'])
    expect(await failure(() => { throw new Error('bad') })).toEqual(['durable.validate threw on the migrated snapshot'])
  })
})

describe('the checks on a migrated snapshot', () => {
  it('names the missing step and the option to add it', async () => {
    const report = await migrateStore(await storeAtV1(), { logic: counter, version: 3, migrations: { 3: (s: unknown) => s } })
    expect(report.failed.map((e) => e.reason)).toEqual(['there is no migration step to version 2; add durable.migrations[2] (an identity step if only events changed)'])
  })

  it("refuses a state the machine's own restore rejects", async () => {
    const machine = setup({}).createMachine({ initial: 'open', context: { total: 0 }, states: { open: {}, shut: {} } })
    const store = new MemoryStore()
    await store.saveSnapshot('m', { seq: 0, data: { status: 'active', value: 'open', context: { count: 1 }, children: {}, historyValue: {} }, version: 1 })
    const report = await migrateStore(store, { logic: machine, migrations: { 2: (s: V1) => ({ ...toV2(s), value: 'ajar' }) } })
    expect(report.failed.map((e) => [e.reason, String((e.cause as Error).message)])).toEqual([["the migrated snapshot doesn't fit the logic", expect.stringContaining("'ajar'")]])
  })

  describe('computes the initial state it checks against as often for a whole store as for one snapshot', () => {
    let initials = 0
    const initial = () => (initials++, { total: 0 })
    // A machine's snapshots carry `children: {}` even when it runs none.
    const machine = setup({}).createMachine({ context: initial })
    it.each([
      ['transition logic', fromTransition((s: { total: number }) => s, initial), {}],
      ['a machine without children', machine, { value: {}, children: {}, historyValue: {} }]
    ])('%s', async (_, logic, extra) => {
      const initialsFor = async (ids: string[]) => {
        const store = new MemoryStore()
        for (const id of ids) await store.saveSnapshot(id, { seq: 0, data: { status: 'active', context: { count: 2 }, ...extra }, version: 1 })
        initials = 0
        expect(await migrateStore(store, { logic, migrations: { 2: toV2 } })).toMatchObject({ migrated: ids })
        return initials
      }
      expect(await initialsFor(['c', 'd', 'e'])).toBe(await initialsFor(['c']))
    })
  })

  it('takes a null `children` as none: logic that keeps no children restores such a snapshot', async () => {
    const report = await migrateStore(await storeAtV1(), { logic: counter, migrations: { 2: (s: V1) => ({ ...toV2(s), children: null }) } })
    expect(report).toMatchObject({ migrated: ['c'], failed: [] })
  })

  it('restores each snapshot with children apart, so children registered under one system id do not collide', async () => {
    // The child runs in `busy` only: the machine's initial state has none.
    const machine = (field: string) =>
      setup({ actors: { ticker: fromCallback(() => () => {}) } }).createMachine({
        context: { [field]: 0 },
        initial: 'idle',
        states: { idle: { on: { go: 'busy' } }, busy: { invoke: { id: 'tick', systemId: 'ticker', src: 'ticker' } } }
      })
    const store = new MemoryStore()
    for (const id of ['x', 'y']) {
      const actor = createActor(machine('count')).start()
      actor.send({ type: 'go' })
      await store.saveSnapshot(id, { seq: 0, data: actor.getPersistedSnapshot(), version: 1 })
      actor.stop()
    }
    expect((await store.loadSnapshot('x'))?.data).toMatchObject({ value: 'busy', children: { tick: {} } })
    const report = await migrateStore(store, { logic: machine('total'), migrations: { 2: toV2 } })
    expect(report).toMatchObject({ migrated: ['x', 'y'], failed: [] })
  })
})

describe('migrateStore options', () => {
  it('refuses options that are not an object', async () => {
    expect((await refusal(() => migrateStore(new MemoryStore(), 5 as never))).option).toBe('migrateStore options')
  })
})
