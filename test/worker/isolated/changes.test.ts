import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createActor, fromPromise, setup } from 'xstate'
import { applyChanges, diffState, StateChanges } from '../../../src/shared/changes'
import { deepFreeze } from '../../../src/keeper/freeze'
import { call, startBranch, UncloneableError, WorkerCrashedError, type AnyBranch } from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { catalogStep, finisher, newCatalog, type Catalog, type CatalogEvent } from './logics'
import { logicModule } from './support'

/** What crosses the wire: the changes, structured-cloned. */
function roundTrip(before: unknown, after: unknown): unknown {
  deepFreeze(before)
  return applyChanges(structuredClone(before), structuredClone(diffState(before, after)))
}

describe('a state crossing as its changes', () => {
  const big = { n: 0, items: Array.from({ length: 5000 }, (_, i) => ({ id: i, tags: ['a'], note: 'x'.repeat(100) })), meta: { a: { b: 1 } } }

  it('sends one changed field of a big state as that field alone', () => {
    const after = { ...big, n: 1 }
    expect(diffState(big, after)).toEqual([['s', ['n'], 1]])
    expect(roundTrip(big, after)).toEqual(after)
  })

  it('applies deletions, array growth and cuts, and nested changes exactly', () => {
    const items = big.items.slice(0, 4990)
    items[3] = { ...items[3]!, tags: ['a', 'b'] }
    const { meta: _gone, ...rest } = big
    const after = { ...rest, items, added: { deep: [1, 2, { x: undefined }] } }
    const changes = diffState(big, after)
    expect(changes).toEqual([
      ['s', ['items', 3, 'tags', 1], 'b'],
      ['l', ['items'], 4990],
      ['s', ['added'], after.added],
      ['d', ['meta']]
    ])
    const applied = roundTrip(big, after) as typeof after
    expect(applied).toEqual(after)
    expect('meta' in applied).toBe(false)
    expect(Object.hasOwn(applied.added.deep[2] as object, 'x')).toBe(true)
    expect(applied.items.length).toBe(4990)
  })

  it('shares what did not change and never writes the state it was applied to', () => {
    const base = structuredClone(big)
    deepFreeze(base)
    const applied = applyChanges(base, [['s', ['meta', 'a', 'b'], 2], ['s', ['meta', 'c'], 3]]) as typeof big & { meta: { c: number } }
    expect(applied.items).toBe(base.items)
    expect(applied.meta).toEqual({ a: { b: 2 }, c: 3 })
    expect(base.meta).toEqual({ a: { b: 1 } })
  })

  it('sends a container whole once most of it changed (an insert at the front of an array)', () => {
    const before = { list: [1, 2, 3, 4, 5, 6] }
    const after = { list: [0, 1, 2, 3, 4, 5, 6] }
    expect(diffState(before, after)).toEqual([['s', ['list'], after.list]])
  })

  it('replaces a root that is not a container, and keeps a __proto__ key an own key', () => {
    expect(roundTrip(1, 2)).toBe(2)
    expect(roundTrip({ a: 1 }, [1])).toEqual([1])
    const after = JSON.parse('{"a": 1, "__proto__": {"polluted": true}}') as object
    const applied = roundTrip({ a: 1 }, after) as Record<string, unknown>
    expect(Object.getPrototypeOf(applied)).toBe(Object.prototype)
    expect(Object.hasOwn(applied, '__proto__')).toBe(true)
  })

  it('refuses changes that do not fit the state (the sides no longer agree)', () => {
    expect(() => applyChanges({ a: 1 }, [['s', ['a', 'b'], 2]])).toThrow(/goes through number/)
    expect(() => applyChanges({ a: {} }, [['l', ['a'], 0]])).toThrow(/not an array/)
  })

  it('round-trips any JSON-like change exactly', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (before, after) => {
        expect(roundTrip(structuredClone(before), after)).toEqual(after)
      })
    )
  })
})

describe("a machine's persisted form, taken with its changes", () => {
  it('is the one taken before (the same object) while events only assign, and made again once anything else changes', () => {
    const actor = createActor(finisher).start()
    const changes = new StateChanges(finisher)
    const first = changes.take(actor.getSnapshot())
    expect(first.same).toBe(false)
    actor.send({ type: 'inc' })
    const assigned = changes.take(actor.getSnapshot())
    expect(assigned).toEqual({ persisted: first.persisted, context: [['s', ['count'], 1]], same: true })
    expect(assigned.persisted).toBe(first.persisted)
    actor.send({ type: 'finish' })
    const finished = changes.take(actor.getSnapshot())
    expect(finished.same).toBe(false)
    expect(finished.persisted).toMatchObject({ status: 'done', value: 'finished', output: 1, context: undefined })
    expect(finished.context).toEqual([])
  })

  it('is made again for every state of a machine with children (their states change without its own)', () => {
    const parent = setup({ actors: { child: fromPromise(() => new Promise<never>(() => {})) } }).createMachine({
      context: { n: 0 },
      invoke: { src: 'child', id: 'child' },
      on: { inc: { actions: ({ context }) => void context } }
    })
    const actor = createActor(parent).start()
    const changes = new StateChanges(parent)
    changes.take(actor.getSnapshot())
    actor.send({ type: 'inc' })
    const next = changes.take(actor.getSnapshot())
    expect(next.same).toBe(false)
    expect(next.persisted).toMatchObject({ children: { child: { src: 'child' } } })
    actor.stop()
  })
})

describe.each(['thread', 'process'] as const)("a big state crossing as its changes, isolation '%s'", (isolation) => {
  const started = stoppedAfterEach<AnyBranch>()

  it('the parent holds exactly the state the worker has, through changes, deletions, cuts and a crash', async () => {
    const branch = await startBranch({ logic: logicModule('catalog'), isolation })
    started.push(branch)
    let expected = newCatalog(5000)
    expect(branch.state()).toEqual(expected)
    const edits: CatalogEvent[] = [{ type: 'bump' }, { type: 'tag', index: 7, tag: 'red' }, { type: 'forget', key: 'a' }, { type: 'note', key: 'c', since: 3 }, { type: 'trim', length: 4000 }, { type: 'bump' }]
    for (const edit of edits) {
      await call(branch, edit)
      expected = catalogStep(expected, edit)
      expect(branch.state()).toEqual(expected)
    }
    expect(Object.keys((branch.state() as Catalog).meta)).toEqual(['b', 'c'])
    const crash = await call(branch, { type: 'throw' }).catch((e: unknown) => e)
    expect(crash).toBeInstanceOf(WorkerCrashedError)
    // The new incarnation starts from the kept state; the changes after it apply to that.
    expect(await call(branch, { type: 'get' })).toBe(2)
    expect(branch.state()).toEqual(expected)
    await call(branch, { type: 'tag', index: 3999, tag: 'last' })
    expected = catalogStep(expected, { type: 'tag', index: 3999, tag: 'last' })
    expect(branch.state()).toEqual(expected)
    expect(branch.children()[1]).toMatchObject({ restarts: 1 })
  })
})

describe('a change too deep to cross', () => {
  const started = stoppedAfterEach<AnyBranch>()

  it('is a crash of that message naming the state; a deep change within the limit crosses; the last good state stays', async () => {
    const branch = await startBranch({ logic: logicModule('nester'), isolation: 'thread' })
    started.push(branch)
    await call(branch, { type: 'grow', depth: 900 })
    await call(branch, { type: 'touch', depth: 900 }) // within the clone depth: found and applied
    const error = await call(branch, { type: 'touch', depth: 200_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error as { cause: unknown }).cause).toBeInstanceOf(UncloneableError)
    expect(await call(branch, { type: 'get' })).toBe(2)
  })
})
