/**
 * The cluster key (issue 17): the nodes of one cluster share a NATS account
 * with a client that is not a node and has every permission there. With
 * the key, each attack the issue found is refused by the nodes themselves,
 * counted and logged, and nothing moves, stops or starts. Without it, the
 * same client moves a branch with its own state: what the key (or an account
 * of the cluster's own, see attacks.test.ts) is for.
 */
import { generateKeyPairSync } from 'node:crypto'
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv'
import { connect, createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterNames, nameKey } from '../../src/cluster/keys'
import { Sealer } from '../../src/cluster/sealed'
import { loadNats } from '../../src/cluster/nats'
import { ClusterKey } from '../../src/cluster/signing'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess } from './nodes'

const KEYED = 'keyed'
const OPEN = 'open'
const names = clusterNames(KEYED)

function ed25519(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string }
}
/** One key per node, each trusting the other's; the attacker has a key of its own, which no node trusts. */
const keyA = ed25519()
const keyB = ed25519()
const attackerKey = ed25519()

let nats: NatsServer
let a: NodeProcess, b: NodeProcess, c: NodeProcess, d: NodeProcess
/** A client of the same account with every permission: it reads and writes everything the nodes do. */
let attacker: NatsConnection
let leases: KV, specs: KV

beforeAll(async () => {
  await loadNats() // the attacker's sealer builds NATS headers
  nats = await startNats()
  ;[a, b, c, d] = (await startNodeProcesses([
    { nats: nats.url, cluster: KEYED, node: 'a', lease: 6000, clusterKey: { privateKey: keyA.privateKey, trusted: [keyB.publicKey] } },
    { nats: nats.url, cluster: KEYED, node: 'b', lease: 6000, clusterKey: { privateKey: keyB.privateKey, trusted: [keyA.publicKey] } },
    { nats: nats.url, cluster: OPEN, node: 'c', lease: 6000 },
    { nats: nats.url, cluster: OPEN, node: 'd', lease: 6000 }
  ])) as [NodeProcess, NodeProcess, NodeProcess, NodeProcess]
  attacker = await connect({ servers: nats.url })
  leases = await new Kvm(attacker).open(names.leases)
  specs = await new Kvm(attacker).open(names.specs)
  await a.run('start', { kind: 'journal', name: 'vault' })
  await b.run('call', { name: 'vault', event: { type: 'inc', by: 100 } })
}, 60_000)

afterAll(async () => {
  await attacker?.close()
  await Promise.all([a, b, c, d].map((n) => n?.stop()))
  await nats?.stop()
})

/** A lease as the bucket holds it: its revision, and the record inside the signed envelope. */
async function leaseOf(name: string, kv = leases): Promise<{ revision: number; stored: string; record: { node: string; tenure: string } }> {
  const entry = await kv.get(nameKey(name))
  const stored = entry!.string()
  const outer = JSON.parse(stored) as { p?: string }
  return { revision: entry!.revision, stored, record: JSON.parse(outer.p ?? stored) as { node: string; tenure: string } }
}

/** "vault" is on node a, in the tenure it had, with the state its own calls gave it. */
async function expectVaultUntouched(tenure: string): Promise<void> {
  expect((await leaseOf('vault')).record).toMatchObject({ node: 'a', tenure })
  expect(await a.run('held')).toContain('vault')
  expect(await b.run('held')).not.toContain('vault')
  expect(await b.run('call', { name: 'vault', event: { type: 'get' } })).toMatchObject({ count: 100 })
}

/** Publishes `body` to `node`'s subject as the attacker, with `headers` if given (a reply inbox is set, as a node's request has). */
function send(cluster: string, node: string, body: object, headers?: MsgHdrs): void {
  attacker.publish(clusterNames(cluster).node(node), JSON.stringify({ v: 1, c: cluster, ...body }), { reply: createInbox(), ...(headers ? { headers } : {}) })
}

/** Listens on `node`'s subject; resolves with the first message whose body matches `kind`, as it was on the wire. */
async function capture(node: string, kind: string): Promise<{ message: Promise<Msg> }> {
  const sub = attacker.subscribe(names.node(node))
  await attacker.flush()
  const message = (async () => {
    for await (const msg of sub) {
      if ((msg.json() as { k?: string }).k === kind) {
        sub.unsubscribe()
        return msg
      }
    }
    throw new Error('subscription ended')
  })()
  return { message }
}

/** The refusal `node` logged whose reason matches `pattern` (waits for it). */
const refusal = (node: NodeProcess, pattern: RegExp) => node.run<Record<string, unknown>>('warning', { pattern: pattern.source })

describe('with a cluster key, an outsider with every permission in the same account', () => {
  it('can\'t call or cast through the envelopes: unsigned, signed by a key no node trusts, or a recorded call played again', async () => {
    const { tenure } = (await leaseOf('vault')).record
    const recorded = await capture('a', 'call')
    await b.run('call', { name: 'vault', event: { type: 'get' } })
    const genuine = await recorded.message

    send(KEYED, 'a', { k: 'call', n: 'vault', o: tenure, e: { type: 'inc', by: 1 }, t: 1000 })
    expect(await refusal(a, /not signed/)).toMatchObject({ subject: names.node('a') })
    send(KEYED, 'a', { k: 'cast', n: 'vault', o: tenure, e: { type: 'inc', by: 1 } })
    const inc = JSON.stringify({ v: 1, c: KEYED, k: 'call', n: 'vault', o: tenure, e: { type: 'inc', by: 1 }, t: 1000 })
    // Signed as a node signs, with the attacker's own key, which no node trusts.
    const own = new Sealer(ClusterKey.read({ privateKey: attackerKey.privateKey })).sealRequest(names.node('a'), new TextEncoder().encode(inc))
    attacker.publish(names.node('a'), inc, { reply: createInbox(), headers: own.headers })
    expect(await refusal(a, /does not trust/)).toMatchObject({ subject: names.node('a') })
    // A node's real headers on another body.
    attacker.publish(names.node('a'), inc, { reply: createInbox(), headers: genuine.headers! })
    expect(await refusal(a, /does not match/)).toMatchObject({ subject: names.node('a') })
    attacker.publish(genuine.subject, genuine.data, { reply: createInbox(), headers: genuine.headers! })
    expect(await refusal(a, /received before/)).toMatchObject({ subject: names.node('a') })
    await expectVaultUntouched(tenure)
  })

  it('can\'t forge an adopt that moves the branch with its own state, nor replay a real one', async () => {
    const { tenure } = (await leaseOf('vault')).record
    const { revision } = await leaseOf('vault')
    send(KEYED, 'b', { k: 'adopt', n: 'vault', kind: 'journal', input: null, image: { kind: 'persisted', snapshot: { status: 'active', context: { ids: [], count: 999_999_999 }, value: {}, children: {} }, delays: [] }, rev: revision })
    expect(await refusal(b, /not signed/)).toMatchObject({ subject: names.node('b') })
    await expectVaultUntouched(tenure)

    // A real transfer, recorded on the way, then played again once the branch is back on a.
    await a.run('start', { kind: 'journal', name: 'courier' })
    const recorded = await capture('b', 'adopt')
    await a.run('transfer', { name: 'courier', to: 'b' })
    const adopt = await recorded.message
    await b.run('transfer', { name: 'courier', to: 'a' })
    attacker.publish(adopt.subject, adopt.data, { reply: createInbox(), headers: adopt.headers! })
    expect(await refusal(b, /received before/)).toMatchObject({ subject: names.node('b') })
    expect(await a.run('held')).toEqual(['courier', 'vault'])
    expect(await b.run('held')).toEqual([])
  })

  it('can\'t write a lease key to stop the branch: the holder writes its lease back, same tenure', async () => {
    const before = await leaseOf('vault')
    const courier = await leaseOf('courier')
    for (const forged of [JSON.stringify({ node: 'b', inc: 'x', tenure: 'forged' }), courier.stored]) {
      const watch = await leases.watch({ key: nameKey('vault'), include: KvWatchInclude.UpdatesOnly })
      const written = await leases.put(nameKey('vault'), forged)
      for await (const entry of watch) {
        if (entry.revision > written) break
      }
      watch.stop()
      await expectVaultUntouched(before.record.tenure)
    }
    expect(await refusal(a, /bucket keepsake_keyed_leases: it is not a signed record/)).toMatchObject({ subject: `$KV.${names.leases}.${nameKey('vault')}` })
    expect(await refusal(a, /bucket keepsake_keyed_leases: its signature does not match/)).toBeDefined()
  })

  it('can\'t plant a failover record that starts a branch', async () => {
    await specs.put(nameKey('planted'), JSON.stringify({ kind: 'journal', input: { count: 7 } }))
    expect(await refusal(a, /bucket keepsake_keyed_specs: it is not a signed record/)).toMatchObject({ subject: `$KV.${names.specs}.${nameKey('planted')}` })
    expect(await refusal(b, /bucket keepsake_keyed_specs: it is not a signed record/)).toBeDefined()
    await specs.delete(nameKey('planted'))
    expect(await leases.get(nameKey('planted'))).toBeNull()
    expect([...(await a.run<string[]>('held')), ...(await b.run<string[]>('held'))].sort()).toEqual(['courier', 'vault'])
  })
})

describe('without a cluster key, the same outsider', () => {
  it('moves a branch to another node with the state it chooses, by forging an adopt: what the key (or an account of its own) prevents', async () => {
    const open = clusterNames(OPEN)
    const openLeases = await new Kvm(attacker).open(open.leases)
    await c.run('start', { kind: 'journal', name: 'vault' })
    await d.run('call', { name: 'vault', event: { type: 'inc', by: 100 } })
    const image = { kind: 'persisted', snapshot: { status: 'active', context: { ids: [], count: 999_999_999 }, value: {}, children: {} }, delays: [] }
    // The lease is renewed every third of its life: a renewal between the read and the forged
    // move makes the move's revision stale, so the outsider does what one would, and tries again.
    const forge = async (): Promise<unknown> => {
      const { revision } = await leaseOf('vault', openLeases)
      const reply = await attacker.request(open.node('d'), JSON.stringify({ v: 1, c: OPEN, k: 'adopt', n: 'vault', kind: 'journal', input: null, image, rev: revision }), { timeout: 10_000 })
      return reply.json()
    }
    let answer = await forge()
    for (let tries = 1; tries < 5 && (answer as { k?: string }).k !== 'ok'; tries++) answer = await forge()
    expect(answer).toMatchObject({ k: 'ok' })
    expect(await d.run('held')).toContain('vault')
    expect(await d.run('call', { name: 'vault', event: { type: 'get' } })).toMatchObject({ count: 999_999_999 })
  })

  it('still can\'t pollute a prototype with a planted failover record: it is read with the wire\'s decoder, refused and logged', async () => {
    const openSpecs = await new Kvm(attacker).open(clusterNames(OPEN).specs)
    await openSpecs.put(nameKey('poisoned'), '{"kind":"journal","input":{"__proto__":{"polluted":true}}}')
    expect(await refusal(c, /failover record: .*input has a "__proto__" key/)).toMatchObject({ subject: `$KV.${clusterNames(OPEN).specs}.${nameKey('poisoned')}` })
    await openSpecs.delete(nameKey('poisoned'))
    expect(await c.run('polluted')).toBe(false)
    expect(await c.run('held')).not.toContain('poisoned')
    expect(await d.run('held')).not.toContain('poisoned')
  })
})
