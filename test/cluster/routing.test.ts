import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess, type RemoteFailure } from './nodes'

let nats: NatsServer
let a: NodeProcess, b: NodeProcess, c: NodeProcess

beforeAll(async () => {
  nats = await startNats()
  ;[a, b, c] = (await startNodeProcesses(['a', 'b', 'c'].map((node) => ({ nats: nats.url, cluster: 'routing', node })))) as [NodeProcess, NodeProcess, NodeProcess]
  await a.run('start', { kind: 'journal', name: 'box' })
}, 60_000)

afterAll(async () => {
  await Promise.all([a, b, c].map((n) => n?.stop()))
  await nats?.stop()
})

/** What a caller can branch on: the class, the code and the fields, and the message itself. */
const shape = ({ instanceOf, name, code, message, branchId, branchName, timeout }: RemoteFailure) => ({ instanceOf, name, code, message, branchId, branchName, timeout })

describe('call, cast and send by global name from other processes', () => {
  it('call gets the reply; cast and send are applied', async () => {
    await b.run('cast', { name: 'box', event: { type: 'inc', by: 2 } })
    await c.run('send', { name: 'box', event: { type: 'inc', by: 3 } })
    // Order holds per sender, not across senders: c's own call comes after its send, and b's after its cast.
    expect((await c.run<{ count: number }>('call', { name: 'box', event: { type: 'get' } })).count).toBeGreaterThanOrEqual(3)
    expect(await b.run('call', { name: 'box', event: { type: 'inc' } })).toMatchObject({ count: 6 })
    expect(await c.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 6 })
    expect(await c.run('callAll', { name: 'box', events: [{ type: 'inc' }, { type: 'get' }] })).toMatchObject({ count: 7 })
    expect(await a.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 7 })
  })

  it('a crash rejects with WorkerCrashedError, as locally, and the branch goes on', async () => {
    const local = await a.failure('call', { name: 'box', event: { type: 'crash' } })
    const remote = await b.failure('call', { name: 'box', event: { type: 'crash' } })
    expect(local.instanceOf).toBe('WorkerCrashedError')
    expect(shape(remote)).toEqual(shape(local))
    expect(await c.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 7 })
  })

  it('a call that gets no reply times out with CallTimeoutError, as locally', async () => {
    const local = await a.failure('call', { name: 'box', event: { type: 'hang' }, options: { timeout: 300 } })
    const remote = await b.failure('call', { name: 'box', event: { type: 'hang' }, options: { timeout: 300 } })
    expect(local).toMatchObject({ instanceOf: 'CallTimeoutError', timeout: 300, branchId: 'box' })
    expect(shape(remote)).toEqual(shape(local))
  })

  it('bad input and unknown names fail with the same typed errors', async () => {
    for (const op of ['call', 'cast', 'send']) {
      expect((await b.failure(op, { name: 'nobody', event: { type: 'get' } })).instanceOf).toBe('UnknownNameError')
      const local = await a.failure(op, { name: 'box', event: { kind: 'no type' } })
      const remote = await b.failure(op, { name: 'box', event: { kind: 'no type' } })
      expect(remote.instanceOf).toBe('InvalidEventError')
      expect(shape(remote)).toEqual(shape(local))
    }
    const local = await a.failure('call', { name: 'box', event: { type: 'get' }, options: { timeout: -1 } })
    const remote = await b.failure('call', { name: 'box', event: { type: 'get' }, options: { timeout: -1 } })
    expect(shape(remote)).toEqual(shape(local))
  })

  it('keeps each sender\'s order: two processes casting 300 messages each', async () => {
    await a.run('start', { kind: 'journal', name: 'ordered' })
    // b's and c's watches may not have seen the new name yet: a call asks the bucket, a cast doesn't.
    await Promise.all([b.run('call', { name: 'ordered', event: { type: 'get' } }), c.run('call', { name: 'ordered', event: { type: 'get' } })])
    await Promise.all([b.run('castStream', { name: 'ordered', count: 300, tag: 'b' }), c.run('castStream', { name: 'ordered', count: 300, tag: 'c' })])
    const expected = (tag: string) => Array.from({ length: 300 }, (_, i) => `${tag}:${i}`)
    // A call from each sender comes after its casts, so when both answer every cast has been applied.
    await Promise.all([b.run('call', { name: 'ordered', event: { type: 'get' } }), c.run('call', { name: 'ordered', event: { type: 'get' } })])
    const { ids } = await a.run<{ ids: string[] }>('call', { name: 'ordered', event: { type: 'get' } })
    expect(ids).toHaveLength(600)
    expect(ids.filter((id) => id.startsWith('b:'))).toEqual(expected('b'))
    expect(ids.filter((id) => id.startsWith('c:'))).toEqual(expected('c'))
  })
})
