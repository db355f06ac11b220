import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, cast, InvalidOptionError, startPool, table, type Pool } from '../../src/index'
import { Tables } from '../../src/keeper/Tables'
import { stoppedAfterEach } from '../support/cleanup'

// Pool._activate is how a cluster pool starts a key on its node (test/cluster reaches it over NATS, outside
// the mutation test set): one start per key however many ask, the live branch when there is one, and a key
// moved from another node starting from the state and tables it had there.

const started = stoppedAfterEach<Pool>()

type Event = { type: 'add'; item: string } | { type: 'get' } | { type: 'tag'; tag: string }
/** A list per key; `tag` also counts the tag in the branch's `tags` table, `get` answers the list and that count. */
const list = fromTransition((items: string[], e: Event, { self }) => {
  const tags = table<string, number>(self, 'tags')
  if (e.type === 'tag') tags.set(e.tag, (tags.get(e.tag) ?? 0) + 1)
  return e.type === 'add' ? [...items, e.item] : items
}, [] as string[])

async function pool() {
  const p = await startPool({ logic: list, idleTimeout: Infinity })
  started.push(p)
  return p
}

describe('Pool._activate (a cluster pool starting a key here)', () => {
  it("starts the key's branch once however many ask at once, and then returns the live one", async () => {
    const p = await pool()
    const [a, b] = await Promise.all([p._activate('k'), p._activate('k')])
    expect(a).toBe(b)
    expect(p.keys()).toEqual(['k'])
    cast(a, { type: 'add', item: 'x' })
    const again = await p._activate('k')
    expect(again).toBe(a)
    expect(p.branch('k')).toBe(a)
    expect(await call(again, { type: 'get' })).toEqual(['x'])
  })

  it('a moved key starts from the state and the tables it had on its other node', async () => {
    const from = await pool()
    const old = await from._activate('k')
    cast(old, { type: 'add', item: 'x' })
    cast(old, { type: 'tag', tag: 'red' })
    const image = old._suspend()
    const tables = new Tables([['tags', new Map([['red', 5]])]])
    const to = await pool()
    const moved = await to._activate('k', { image, tables })
    expect(moved.state()).toEqual(['x'])
    cast(moved, { type: 'tag', tag: 'red' })
    expect(tables.table('tags').get('red')).toBe(6)
  })

  it('refuses a key that is not a string, as the rest of the pool does', async () => {
    const p = await pool()
    expect(() => p._activate(7 as unknown as string)).toThrow(InvalidOptionError)
    expect(p.keys()).toEqual([])
  })
})
