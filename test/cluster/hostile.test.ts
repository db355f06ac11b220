import { Kvm, type KV } from '@nats-io/kv'
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterNames, nameKey } from '../../src/cluster/keys'
import { REFUSALS_LOGGED } from '../../src/cluster/refusals'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess } from './nodes'

let nats: NatsServer
let a: NodeProcess, b: NodeProcess, other: NodeProcess
let raw: NatsConnection
/** The hostile cluster's leases, as the nodes keep them. */
let leases: KV

beforeAll(async () => {
  nats = await startNats()
  ;[a, b, other] = (await startNodeProcesses([
    // Leases long enough that a lease the test writes itself outlives the test that uses it.
    { nats: nats.url, cluster: 'hostile', node: 'a', maxBytes: 4096, lease: 30_000 },
    { nats: nats.url, cluster: 'hostile', node: 'b', lease: 30_000 },
    // Another cluster on the same NATS, with the same node id and branch name.
    { nats: nats.url, cluster: 'elsewhere', node: 'a' }
  ])) as [NodeProcess, NodeProcess, NodeProcess]
  raw = await connect({ servers: nats.url })
  leases = await new Kvm(raw).open(clusterNames('hostile').leases)
}, 60_000)

/** The tenure under which a node of the hostile cluster holds `name`, read from the bucket: a foreign message naming it passes every check but the cluster's. */
async function tenureOf(name: string): Promise<string> {
  const entry = await leases.get(nameKey(name))
  return (entry?.json() as { tenure: string }).tenure
}

afterAll(async () => {
  await raw?.close()
  await Promise.all([a, b, other].map((n) => n?.stop()))
  await nats?.stop()
})

describe('the cluster on a shared NATS', () => {
  it('keeps clusters apart: the same node id and name in two clusters reach their own branch', async () => {
    await a.run('start', { kind: 'journal', name: 'box' })
    await other.run('start', { kind: 'journal', name: 'box' })
    await b.run('call', { name: 'box', event: { type: 'inc', by: 10 } })
    await other.run('call', { name: 'box', event: { type: 'inc', by: 1 } })
    expect(await a.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 10 })
    expect(await other.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 1 })
  })

  it('escapes names: dots and wildcards address only their own branch', async () => {
    for (const name of ['x.>', 'x.*', 'x', 'x y', '💥']) await a.run('start', { kind: 'journal', name })
    for (const [i, name] of ['x.>', 'x.*', 'x', 'x y', '💥'].entries()) await b.run('call', { name, event: { type: 'inc', by: i + 1 } })
    for (const [i, name] of ['x.>', 'x.*', 'x', 'x y', '💥'].entries()) {
      expect(await b.run('call', { name, event: { type: 'get' } })).toMatchObject({ count: i + 1 })
    }
  })

  it('refuses and logs hostile messages before they touch a branch; another cluster\'s are ignored', async () => {
    const subject = 'keepsake.hostile.node.a'
    const tenure = 'whatever'
    const hostile: (string | Uint8Array)[] = [
      new Uint8Array([0xff, 0xfe, 0x00, 0x13, 0x37]),
      'not json at all',
      JSON.stringify([1, 2, 3]),
      JSON.stringify({ v: 2, c: 'hostile', k: 'cast', n: 'box', o: tenure, e: { type: 'inc' } }),
      JSON.stringify({ v: 1, c: 'hostile', k: 'cast', n: 'box', o: tenure, e: { type: 'inc' }, pad: 'x'.repeat(8000) }),
      `{"v":1,"c":"hostile","k":"cast","n":"box","o":"${tenure}","e":{"type":"inc","__proto__":{"polluted":true}}}`,
      `{"v":1,"c":"hostile","k":"call","n":"box","o":"${tenure}","t":100,"e":{"type":"inc","constructor":{"prototype":{"polluted":true}}}}`,
      JSON.stringify({ v: 1, c: 'hostile', k: 'cast', n: 'box', o: tenure, e: { kind: 'no type' } }),
      JSON.stringify({ v: 1, c: 'hostile', k: 'call', n: 'box', o: tenure, e: { type: 'inc' }, t: -5 }),
      JSON.stringify({ v: 1, c: 'hostile', k: 'shutdown', n: 'box', o: tenure }),
      '{"v":1,"c":"hostile","k":"cast","n":"box","o":"t","e":' + '{"a":'.repeat(100) + '1' + '}'.repeat(100) + '}'
    ]
    for (const message of hostile) raw.publish(subject, message)
    // Another cluster's message, well formed and addressing the tenure node a holds "box" under: ignored without a word.
    raw.publish(subject, JSON.stringify({ v: 1, c: 'elsewhere', k: 'cast', n: 'box', o: await tenureOf('box'), e: { type: 'inc' } }))
    await raw.flush()
    // A request after them: the node takes messages in order, so once it answers, it has seen them all.
    expect(await b.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 10 })
    const warnings = await a.run<{ message: string; details: { reason: string } }[]>('warnings')
    expect(warnings).toHaveLength(hostile.length)
    expect(warnings.every((w) => w.message.includes('refused a message'))).toBe(true)
    const reasons = warnings.map((w) => w.details.reason).join('\n')
    for (const why of ['not UTF-8 JSON', 'not a JSON object', 'unknown version', 'over the 4096-byte limit', '"__proto__" key', '"constructor" key', '"e" must be an event', '"t" must be', 'unknown kind', 'nests deeper']) {
      expect(reasons).toContain(why)
    }
    expect(await a.run('polluted')).toBe(false)
    expect(await other.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 1 })
  })

  it("another cluster's adopt request is ignored, though it would pass every other check: the same request from this cluster is taken", async () => {
    // A name held (per the bucket) by a node that is about to hand it over: its lease at a revision no renewal moves.
    const revision = await leases.create(nameKey('prize'), JSON.stringify({ node: 'leaving', inc: 'i', tenure: 't' }))
    const adopt = (cluster: string) => JSON.stringify({ v: 1, c: cluster, k: 'adopt', n: 'prize', kind: 'journal', image: { kind: 'initial' }, tables: [], rev: revision })
    const foreign = raw.subscribe(createInbox(), { max: 1 })
    raw.publish('keepsake.hostile.node.a', adopt('elsewhere'), { reply: foreign.getSubject() })
    // Node a takes its messages in order: had it taken the foreign one, it would hold "prize" (or be taking it) and refuse this one.
    const answer = await raw.request('keepsake.hostile.node.a', adopt('hostile'), { timeout: 10_000 })
    expect(answer.json()).toMatchObject({ v: 1, c: 'hostile', k: 'ok' })
    expect(await a.run('held')).toContain('prize')
    expect(foreign.getProcessed()).toBe(0)
    foreign.unsubscribe()
  })

  it('a flood of refused messages is logged as a few warnings, not one each (20,000 garbage messages)', async () => {
    const before = (await a.run<unknown[]>('warnings')).length
    for (let i = 0; i < 20_000; i++) raw.publish('keepsake.hostile.node.a', 'garbage')
    await raw.flush()
    expect(await b.run('call', { name: 'box', event: { type: 'get' } })).toMatchObject({ count: 10 })
    const logged = (await a.run<unknown[]>('warnings')).length - before
    expect(logged).toBeGreaterThan(0)
    expect(logged).toBeLessThanOrEqual(REFUSALS_LOGGED + 1)
  })
})
