import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess } from './nodes'

let nats: NatsServer
let a: NodeProcess, b: NodeProcess, c: NodeProcess

beforeAll(async () => {
  nats = await startNats()
  ;[a, b, c] = (await startNodeProcesses(['a', 'b', 'c'].map((node) => ({ nats: nats.url, cluster: 'transfer', node })))) as [NodeProcess, NodeProcess, NodeProcess]
}, 60_000)

afterAll(async () => {
  await Promise.all([a, b, c].map((n) => n?.stop()))
  await nats?.stop()
})

const COUNT = 1000
const tagged = (tag: string) => Array.from({ length: COUNT }, (_, i) => `${tag}:${i}`)

describe('remote transfer', () => {
  it('moves a live branch between processes under a stream of casts from two others: each applied once, in order', async () => {
    await a.run('start', { kind: 'journal', name: 'mover' })
    await a.run('call', { name: 'mover', event: { type: 'add', id: 'before' } })
    const hops: string[] = []
    const moves = (async () => {
      // a -> c -> a -> c while b and c stream (c sends to itself part of the time).
      for (const [from, to] of [[a, c], [c, a], [a, c]] as const) {
        await new Promise((r) => setTimeout(r, 40))
        await from.run('transfer', { name: 'mover', to: to.id })
        hops.push(`${from.id}->${to.id}`)
      }
    })()
    await Promise.all([b.run('castStream', { name: 'mover', count: COUNT, tag: 'b' }), c.run('castStream', { name: 'mover', count: COUNT, tag: 'c' }), moves])
    expect(hops).toEqual(['a->c', 'c->a', 'a->c'])
    await Promise.all([b.run('call', { name: 'mover', event: { type: 'get' } }), c.run('call', { name: 'mover', event: { type: 'get' } })])
    const { ids } = await a.run<{ ids: string[] }>('call', { name: 'mover', event: { type: 'get' } })
    expect(ids[0]).toBe('before')
    expect(ids.filter((id) => id.startsWith('b:'))).toEqual(tagged('b'))
    expect(ids.filter((id) => id.startsWith('c:'))).toEqual(tagged('c'))
    expect(ids).toHaveLength(1 + 2 * COUNT)
    expect(await c.run('held')).toEqual(['mover'])
    expect(await a.run('held')).toEqual([])
    expect(await b.run('owner', { name: 'mover' })).toBe('c')
  }, 60_000)

  it('a transfer that fails leaves the branch where it was, working, with its state', async () => {
    await b.run('start', { kind: 'journal', name: 'stayer' })
    await c.run('call', { name: 'stayer', event: { type: 'inc', by: 5 } })
    expect(await b.failure('transfer', { name: 'stayer', to: 'nowhere' })).toMatchObject({ instanceOf: 'TransferFailedError', branchName: 'stayer' })
    expect(await a.failure('transfer', { name: 'stayer', to: 'c' })).toMatchObject({ instanceOf: 'NotOwnerError' })
    // c runs a branch of its own (not global) under that name, so it refuses to adopt: b had already stopped its branch, and starts it again.
    await c.run('startLocal', { name: 'stayer' })
    const refused = await b.failure('transfer', { name: 'stayer', to: 'c' })
    expect(refused).toMatchObject({ instanceOf: 'TransferFailedError', branchName: 'stayer' })
    expect(refused.message).toContain('is already running')
    expect(await b.run('owner', { name: 'stayer' })).toBe('b')
    expect(await a.run('call', { name: 'stayer', event: { type: 'inc' } })).toMatchObject({ count: 6 })
    expect(await b.run('call', { name: 'stayer', event: { type: 'get' } })).toMatchObject({ count: 6 })
    expect(await b.run('held')).toEqual(['stayer'])
  })

  it('a branch whose state JSON cannot carry stays home, working, with its state (it was stopped and lost)', async () => {
    await a.run('start', { kind: 'journal', name: 'odd-state' })
    await a.run('call', { name: 'odd-state', event: { type: 'inc', by: 4 } })
    await a.run('call', { name: 'odd-state', event: { type: 'keepOdd', what: 'bigint' } })
    const refused = await a.failure('transfer', { name: 'odd-state', to: 'b' })
    expect(refused).toMatchObject({ instanceOf: 'TransferFailedError', branchName: 'odd-state' })
    expect(refused.message).toContain('state')
    expect(await a.run('owner', { name: 'odd-state' })).toBe('a')
    await c.run('cast', { name: 'odd-state', event: { type: 'inc' } })
    expect(await c.run('call', { name: 'odd-state', event: { type: 'count' } })).toBe(5)
  })

  it("a moved branch's tables travel with it; a table holding a live object keeps the branch home, working, tables and all", async () => {
    await a.run('start', { kind: 'journal', name: 'tabled' })
    const port = { path: '/dev/ttyUSB0', baud: 9600, flags: ['rts', 'cts'] }
    await a.run('call', { name: 'tabled', event: { type: 'note', key: 'port', value: port } })
    await a.run('transfer', { name: 'tabled', to: 'b' })
    expect(await b.run('owner', { name: 'tabled' })).toBe('b')
    expect(await c.run('call', { name: 'tabled', event: { type: 'notes' } })).toEqual({ port })

    await b.run('call', { name: 'tabled', event: { type: 'noteHandle' } })
    const refused = await b.failure('transfer', { name: 'tabled', to: 'c' })
    expect(refused).toMatchObject({ instanceOf: 'TransferFailedError', branchName: 'tabled' })
    expect(refused.message).toContain('tables')
    expect(await b.run('owner', { name: 'tabled' })).toBe('b')
    expect(await a.run('call', { name: 'tabled', event: { type: 'notes' } })).toEqual({ port, handle: 'a function' })
  }, 60_000)
})
