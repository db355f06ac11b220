/**
 * The cluster's trust boundary on NATS, attacked as issue 17 did: the
 * recommended deployment (an account of the cluster's own, one user per node
 * with `natsPermissions`, TLS) against two clients of the same server that are
 * not nodes: another user of the cluster's account with an application's
 * permissions, and a user of another account. Every attack is refused by the
 * server and the branch goes on, with its own state, on its own node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kvm, type KV } from '@nats-io/kv'
import { createUser } from '@nats-io/nkeys'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { natsPermissions } from '../../src/cluster'
import { clusterNames, nameKey } from '../../src/cluster/keys'
import { makeCa } from '../support/certificates'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess } from './nodes'

const CLUSTER = 'shop'
const names = clusterNames(CLUSTER)
const dir = mkdtempSync(join(tmpdir(), 'keepsake-attacks-'))
const authority = makeCa(dir, 'attacks')
const ca = authority.ca
const nodeB = createUser()

/**
 * The recommended nats-server config (README "Security"): the cluster's
 * account holds its nodes, each with `natsPermissions`, by password or nkey;
 * an application's user in the same account gets its own subjects only;
 * another account is another world. TLS is required of everyone.
 */
function serverConfig(tls: { cert: string; key: string }): string {
  return `
SHOP_NODE = ${JSON.stringify(natsPermissions(CLUSTER))}
tls { cert_file: "${tls.cert}", key_file: "${tls.key}" }
accounts {
  SHOP: {
    jetstream: enabled
    users: [
      { user: "node-a", password: "pass-a", permissions: $SHOP_NODE }
      { nkey: "${nodeB.getPublicKey()}", permissions: $SHOP_NODE }
      { user: "node-spare", password: "pass-spare", permissions: $SHOP_NODE }
      { user: "app", password: "pass-app", permissions: { publish: { allow: ["app.>"] }, subscribe: { allow: ["app.>", "_INBOX.>"] } } }
    ]
  }
  OTHER: {
    jetstream: enabled
    users: [ { user: "outsider", password: "pass-outsider" } ]
  }
}
`
}

let nats: NatsServer
let a: NodeProcess, b: NodeProcess
/** The cluster's buckets, read with a node's credentials: what is really there. */
let truth: NatsConnection
let leases: KV, specs: KV
const attackers: Record<'sameAccount' | 'otherAccount', NatsConnection> = {} as never

beforeAll(async () => {
  nats = await startNats([], serverConfig(authority.issue('server')))
  ;[a, b] = (await startNodeProcesses([
    { nats: nats.url, cluster: CLUSTER, node: 'a', lease: 30_000, auth: { user: 'node-a', pass: 'pass-a' }, tlsCa: ca },
    { nats: nats.url, cluster: CLUSTER, node: 'b', lease: 30_000, auth: { nkeySeed: new TextDecoder().decode(nodeB.getSeed()) }, tlsCa: ca }
  ])) as [NodeProcess, NodeProcess]
  const tls = { ca: readFileSync(ca, 'utf8') }
  truth = await connect({ servers: nats.url, tls, user: 'node-a', pass: 'pass-a', inboxPrefix: names.inbox })
  leases = await new Kvm(truth).open(names.leases)
  specs = await new Kvm(truth).open(names.specs)
  attackers.sameAccount = await connect({ servers: nats.url, tls, user: 'app', pass: 'pass-app' })
  attackers.otherAccount = await connect({ servers: nats.url, tls, user: 'outsider', pass: 'pass-outsider' })
  await a.run('start', { kind: 'journal', name: 'vault' })
  await b.run('call', { name: 'vault', event: { type: 'inc', by: 100 } })
}, 60_000)

afterAll(async () => {
  await Promise.all(Object.values(attackers).map((c) => c.close()))
  await truth?.close()
  await Promise.all([a, b].map((n) => n?.stop()))
  await nats?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** The lease of "vault" as the bucket holds it (a node's credentials read it: the data an attacker is after). */
async function vaultLease(): Promise<{ revision: number; tenure: string }> {
  const entry = await leases.get(nameKey('vault'))
  return { revision: entry!.revision, tenure: (entry!.json() as { tenure: string }).tenure }
}

/** "vault" is still on node a, unmoved, with the state its own calls gave it. */
async function expectVaultUntouched(lease: { revision: number; tenure: string }): Promise<void> {
  expect(await vaultLease()).toEqual(lease)
  expect(await a.run('held')).toContain('vault')
  expect(await b.run('held')).not.toContain('vault')
  expect(await b.run('call', { name: 'vault', event: { type: 'get' } })).toMatchObject({ count: 100 })
}

describe('the nodes, each with natsPermissions', () => {
  it('do what a cluster does: start, call across nodes, transfer both ways, and the server refuses them nothing', async () => {
    await a.run('start', { kind: 'journal', name: 'courier' })
    await b.run('call', { name: 'courier', event: { type: 'inc', by: 2 } })
    await a.run('transfer', { name: 'courier', to: 'b' })
    await a.run('call', { name: 'courier', event: { type: 'inc', by: 3 } })
    await b.run('transfer', { name: 'courier', to: 'a' })
    expect(await b.run('call', { name: 'courier', event: { type: 'get' } })).toMatchObject({ count: 5 })
    expect(await a.run('held')).toEqual(['courier', 'vault'])
    expect(nats.violations()).toEqual([])
  })

  it('get nothing more: a node\'s user can\'t listen to everything or reach another stream', async () => {
    // A node's permissions under a user no running node has, so that the violations logged here are told apart.
    const node = await connect({ servers: nats.url, tls: { ca: readFileSync(ca, 'utf8') }, user: 'node-spare', pass: 'pass-spare', inboxPrefix: names.inbox })
    try {
      const all = node.subscribe('>')
      await expect((async () => {
        for await (const _ of all) return 'heard something'
      })()).rejects.toThrow(/permissions violation/i)
      await expect(new Kvm(node).create('someone_elses')).rejects.toThrow(/permissions violation/i)
    } finally {
      await node.close()
    }
  })
})

/**
 * How the server refuses each attack: for a user of the cluster's account, a
 * permissions violation; another account has none of the cluster's streams or
 * subscribers (its JetStream has no stream that takes a `$KV.<bucket>` write).
 */
const refusals = {
  sameAccount: { read: /permissions violation/i, request: /permissions violation/i, write: /permissions violation/i },
  otherAccount: { read: /stream not found/i, request: /no responders/i, write: /jetstream is not enabled/i }
}

describe.each(['sameAccount', 'otherAccount'] as const)('an outsider in the %s, on the same NATS server', (who) => {
  const refused = refusals[who]

  it('can\'t read a name\'s tenure from the lease bucket', async () => {
    const kv = new Kvm(attackers[who]).open(names.leases)
    await expect(kv.then((bucket) => bucket.get(nameKey('vault')))).rejects.toThrow(refused.read)
  })

  it('can\'t call the branch, even knowing its tenure', async () => {
    const lease = await vaultLease()
    const call = { v: 1, c: CLUSTER, k: 'call', n: 'vault', o: lease.tenure, e: { type: 'inc', by: 1 }, t: 1000 }
    await expect(attackers[who].request(names.node('a'), JSON.stringify(call), { timeout: 2000 })).rejects.toThrow(refused.request)
    await expectVaultUntouched(lease)
  })

  it('can\'t forge an adopt that moves the branch with its own state', async () => {
    const lease = await vaultLease()
    const adopt = { v: 1, c: CLUSTER, k: 'adopt', n: 'vault', kind: 'journal', input: null, image: { context: { ids: [], count: 999_999_999 } }, rev: lease.revision }
    await expect(attackers[who].request(names.node('b'), JSON.stringify(adopt), { timeout: 2000 })).rejects.toThrow(refused.request)
    await expectVaultUntouched(lease)
  })

  it('can\'t write a lease key to stop the branch', async () => {
    const lease = await vaultLease()
    const kv = new Kvm(attackers[who]).open(names.leases)
    await expect(kv.then((bucket) => bucket.put(nameKey('vault'), JSON.stringify({ node: 'b', tenure: 'forged' })))).rejects.toThrow(refused.write)
    await expectVaultUntouched(lease)
  })

  it('can\'t plant a record in the specs bucket', async () => {
    const kv = new Kvm(attackers[who]).open(names.specs)
    await expect(kv.then((bucket) => bucket.put(nameKey('planted'), '{"kind":"journal","input":{"__proto__":{"polluted":true}}}'))).rejects.toThrow(refused.write)
    expect(await specs.get(nameKey('planted'))).toBeNull()
    expect(await a.run('polluted')).toBe(false)
  })
})

describe('what an outsider sees', () => {
  it('a user of the cluster\'s account can\'t listen on its subjects or buckets', async () => {
    for (const subject of [names.node('a'), 'keepsake.shop.>', `$KV.${names.leases}.>`, '>']) {
      const sub = attackers.sameAccount.subscribe(subject)
      await expect((async () => {
        for await (const _ of sub) return 'heard something'
      })()).rejects.toThrow(/permissions violation/i)
    }
  })

  it('another account hears none of the cluster\'s traffic, and a bucket of the same name there is its own', async () => {
    const outsider = attackers.otherAccount
    const heard: string[] = []
    const sub = outsider.subscribe('>', { callback: (_error, msg) => void heard.push(msg.subject) })
    await outsider.flush()
    const lease = await vaultLease()
    await b.run('call', { name: 'vault', event: { type: 'get' } })
    // Its own bucket named like the cluster's takes the forged lease, and the cluster never sees it.
    const own = await new Kvm(outsider).create(names.leases)
    await own.put(nameKey('vault'), JSON.stringify({ node: 'b', tenure: 'forged' }))
    // Its own message after all that: once it arrives, anything sent to it earlier has.
    const done = outsider.subscribe('outsider.done', { max: 1 })
    outsider.publish('outsider.done')
    for await (const _ of done) break
    sub.unsubscribe()
    expect(heard.filter((subject) => subject.startsWith('keepsake.'))).toEqual([])
    await expectVaultUntouched(lease)
  })

  it('the server logged violations for the same-account user and the probe of a node\'s limits, none for a running node', () => {
    const users = new Set(nats.violations().map((line) => /User "([^"]+)"/.exec(line)?.[1]))
    expect([...users].sort()).toEqual(['app', 'node-spare'])
  })
})
