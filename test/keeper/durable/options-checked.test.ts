import { describe, expect, it } from 'vitest'
import { InvalidOptionError, MemoryStore } from '../../../src/index'
import { readDurableOptions } from '../../../src/keeper/durable/options'

/** What `readDurableOptions` refused `options` with: the option named and the message. */
function refusal(options: unknown, name: string | undefined): { option: string; message: string } {
  try {
    readDurableOptions(options, name)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    const { option, message } = error as InvalidOptionError
    return { option, message }
  }
  throw new Error('expected the options to be refused')
}

const METHODS = ['append', 'appendBatch', 'read', 'lastSeq', 'saveSnapshot', 'loadSnapshot', 'delete'] as const

/** A store with every method a KeeperStore needs except `missing`. */
function storeWithout(missing: string | undefined): Record<string, unknown> {
  const store: Record<string, unknown> = {}
  for (const method of METHODS) if (method !== missing) store[method] = () => {}
  return store
}

describe('durable options', () => {
  it('fills every default: snapshot mode (whole snapshots), sync writes, a snapshot every 1000 events, version 1, replay verified by sample, id = the branch name', () => {
    const store = new MemoryStore()
    const config = readDurableOptions({ store }, 'cart')
    expect(config).toEqual({
      store,
      id: 'cart',
      mode: 'snapshot',
      durability: 'sync',
      snapshotEvery: 1000,
      compactEvery: 0,
      migration: { version: 1, steps: new Map(), validate: undefined },
      adapter: undefined,
      tags: undefined,
      verifyReplay: 'sampled'
    })
    expect(config.store).toBe(store)
  })

  it('keeps every option given', () => {
    const store = new MemoryStore()
    const adapter = (event: { type: string }) => event
    const tags = () => ['t']
    const config = readDurableOptions({ store, id: 'own-id', mode: 'journal', durability: 'batched', snapshotEvery: 0, version: 3, adapter, tags, verifyReplay: false }, 'cart')
    expect(config).toMatchObject({ id: 'own-id', mode: 'journal', durability: 'batched', snapshotEvery: 0, adapter, tags, verifyReplay: false })
    expect(config.migration.version).toBe(3)
  })

  it('takes an id when the branch has no name', () => {
    expect(readDurableOptions({ store: new MemoryStore(), id: 'x' }, undefined).id).toBe('x')
  })

  it.each([
    ['absent', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a string', 'memory', '"memory"'],
    ['an object with no methods', {}, 'an object']
  ])('refuses a store that is %s, naming what a store is', (_, store, got) => {
    expect(refusal({ store }, 'branch')).toEqual({
      option: 'durable.store',
      message: `Option "durable.store" must be a KeeperStore (MemoryStore, SqliteStore, PostgresStore); got ${got}.`
    })
  })

  it.each(METHODS)('refuses a store without %s', (method) => {
    expect(refusal({ store: storeWithout(method) }, 'branch').option).toBe('durable.store')
    expect(refusal({ store: { ...storeWithout(undefined), [method]: 'not a function' } }, 'branch').option).toBe('durable.store')
  })

  it('takes any object with every store method', () => {
    const store = storeWithout(undefined)
    expect(readDurableOptions({ store }, 'b').store).toBe(store)
  })

  it.each([
    ['no id and no branch name', {}, undefined, 'undefined'],
    ['an empty id', { id: '' }, 'branch', '""'],
    ['an id that is not a string', { id: 7 }, 'branch', 'number 7']
  ])('refuses %s', (_, extra, name, got) => {
    expect(refusal({ store: new MemoryStore(), ...extra }, name)).toEqual({
      option: 'durable.id',
      message: `Option "durable.id" must be a non-empty string (or give the branch a name); got ${got}.`
    })
  })

  it.each([
    ['mode', 'events', `'snapshot' or 'journal'`],
    ['durability', 'async', `'sync' or 'batched'`],
    ['verifyReplay', 'yes', "a boolean or 'sampled'"]
  ])('refuses a %s that is none of its values', (key, value, expected) => {
    expect(refusal({ store: new MemoryStore(), [key]: value }, 'branch')).toEqual({
      option: `durable.${key}`,
      message: `Option "durable.${key}" must be ${expected}; got "${value}".`
    })
  })

  it.each([
    ['snapshotEvery', -1, 'number -1'],
    ['snapshotEvery', 1.5, 'number 1.5'],
    ['snapshotEvery', '10', '"10"'],
    ['compactEvery', -1, 'number -1'],
    ['compactEvery', 2.5, 'number 2.5']
  ])('refuses %s %s (an integer >= 0)', (key, value, got) => {
    expect(refusal({ store: new MemoryStore(), [key]: value }, 'branch')).toEqual({
      option: `durable.${key}`,
      message: `Option "durable.${key}" must be an integer >= 0; got ${got}.`
    })
  })

  it('refuses compactEvery in journal mode, which journals events, not states', () => {
    expect(refusal({ store: new MemoryStore(), mode: 'journal', compactEvery: 5 }, 'branch')).toEqual({
      option: 'durable.compactEvery',
      message: `Option "durable.compactEvery" must be 0 in journal mode (it is snapshot mode's); got number 5.`
    })
  })

  it.each(['adapter', 'tags'])('refuses a %s that is not a function', (key) => {
    expect(refusal({ store: new MemoryStore(), [key]: 'upgrade' }, 'branch')).toEqual({
      option: `durable.${key}`,
      message: `Option "durable.${key}" must be a function; got "upgrade".`
    })
  })

  it('refuses options that are not an object', () => {
    expect(refusal('memory', 'branch').option).toBe('durable')
  })
})
