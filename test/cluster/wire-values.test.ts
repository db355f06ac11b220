import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, callAll, cast } from '../../src/index'
import { startNode, WireValueError, type ClusterNode } from '../../src/cluster'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcess, type NodeProcess } from './nodes'

// This process is node "here" (so the values are built here, as a caller would); "there", a node
// process, holds the branch "box".
let nats: NatsServer
let there: NodeProcess
let here: ClusterNode
const warnings: string[] = []

beforeAll(async () => {
  nats = await startNats()
  there = await startNodeProcess({ nats: nats.url, cluster: 'values', node: 'there' })
  here = await startNode({ servers: nats.url, cluster: 'values', nodeId: 'here', logger: { warn: (_, message) => void warnings.push(message) } })
  await there.run('start', { kind: 'journal', name: 'box' })
  // The owner reaches this node through its watch of the bucket.
  while (here.owner('box') !== 'there') await new Promise((resolve) => setTimeout(resolve, 20))
}, 60_000)

afterAll(async () => {
  await here?.stop()
  await there?.stop()
  await nats?.stop()
})

/** An object nested `levels` deep: `{ a: { a: ... { end: true } } }`. */
const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { end: true }
  for (let i = 1; i < levels; i++) value = { a: value }
  return value
}

/** How a call ended: its WireValueError, or what else it gave. */
const outcome = (promise: Promise<unknown>) => promise.then((value) => ({ resolved: value }), (error: unknown) => error)

// A long timeout: a call that waited for an answer instead of failing at once would time the test out.
const patient = { timeout: 60_000 }

describe('remote calls with values JSON cannot carry as they are', () => {
  const cycle: Record<string, unknown> = { type: 'inc', data: {} }
  ;(cycle.data as Record<string, unknown>).self = cycle
  // [what, the event, the field named, the field named when it is the second event of a callAll (a batch nests one level deeper)]
  const events: [string, Record<string, unknown>, string, string?][] = [
    ['a BigInt', { type: 'inc', by: 1n }, 'event.by'],
    ['a cycle', cycle, 'event.data.self'],
    ['a getter', { type: 'inc', get by() { return 1 } }, 'event.by'],
    ['a getter that throws', { type: 'inc', get by(): number { throw new Error('no') } }, 'event.by'],
    ['over 1 MiB', { type: 'inc', pad: 'x'.repeat(1_100_000) }, 'event', 'events'],
    ['NaN', { type: 'inc', by: Number.NaN }, 'event.by'],
    ['Infinity', { type: 'inc', by: Number.POSITIVE_INFINITY }, 'event.by'],
    ['a function', { type: 'inc', then: () => 1 }, 'event.then'],
    ['a symbol', { type: 'inc', tag: Symbol('x') }, 'event.tag'],
    ['a symbol key', { type: 'inc', [Symbol('x')]: 1 }, 'event'],
    ['a Map', { type: 'inc', seen: new Map([[1, 2]]) }, 'event.seen'],
    ['a Date', { type: 'inc', at: new Date(0) }, 'event.at'],
    ['undefined in an array', { type: 'inc', list: [1, undefined] }, 'event.list[1]'],
    ['a Proxy', { type: 'inc', data: new Proxy({}, { ownKeys: () => { throw new Error('trap') } }) }, 'event.data'],
    ['an odd key', { type: 'inc', 'a b': { constructor: 1 } }, 'event["a b"]'],
    ['nesting deeper than the wire\'s limit', { type: 'inc', deep: nested(64) }, `event.deep${'.a'.repeat(63)}`, `events[1].deep${'.a'.repeat(62)}`]
  ]

  for (const [what, event, path, batchPath] of events) {
    it(`an event with ${what} is refused at once with WireValueError naming ${path.slice(0, 30)}; nothing is sent`, async () => {
      const error = await outcome(call('box', event as never, patient))
      expect(error).toBeInstanceOf(WireValueError)
      expect((error as WireValueError).path).toBe(path)
      expect((error as Error).message).toContain(path)
      expect(() => cast('box', event as never)).toThrow(WireValueError)
      const batch = await outcome(callAll('box', [{ type: 'inc' }, event] as never, patient))
      expect((batch as WireValueError).path).toBe(batchPath ?? path.replace(/^event/, 'events[1]'))
      expect(await call('box', { type: 'get' })).toMatchObject({ count: 0 })
    })
  }

  it('a value at the wire\'s depth limit, and every kind of JSON, arrive as they were sent', async () => {
    const value = { deep: nested(62), text: 'é💥\u2028"\\', numbers: [0, -1.5, 2 ** 53 - 1, 1e-300], flags: [true, false, null], empty: {}, none: [] }
    expect(await call('box', { type: 'echo', value }, patient)).toEqual(value)
    expect(await call('box', { type: 'echo', value: { absent: undefined } }, patient)).toEqual({})
  })

  for (const [what, path] of [['nan', 'reply.total'], ['bigint', 'reply.total'], ['date', 'reply.at'], ['function', 'reply.format'], ['huge', 'reply']] as const) {
    it(`a reply with ${what} comes back as WireValueError naming ${path}, not changed and not timed out`, async () => {
      const error = await outcome(call('box', { type: 'odd', what }, patient))
      expect(error).toBeInstanceOf(WireValueError)
      expect((error as WireValueError).path).toBe(path)
    })
  }

  it('none of them was logged as a refused message by either node', async () => {
    const logged = await there.run<{ message: string }[]>('warnings')
    expect(logged.map((w) => w.message)).toEqual([])
    expect(warnings).toEqual([])
  })
})
