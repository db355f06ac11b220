import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { ClusterNode, type ClusterPoolKind } from '../../src/cluster'
import { readNodeOptions } from '../../src/cluster/options'
import { loadNats } from '../../src/cluster/nats'
import { placementKey } from '../../src/cluster/keys'
import { startNats, type NatsServer } from '../support/nats'

// Issue 21: what a first call to a new key costs on the wire (docs/design/cluster-pools.md, section 3).
// A NATS connection of the test's own listens to the pool subjects and to the placements bucket's
// writes and reads, so the round trips are counted, not inferred from timings.

const LEASE = 1500
let nats: NatsServer
let running: ClusterNode[] = []

beforeAll(async () => {
  ;[nats] = await Promise.all([startNats(), loadNats()])
}, 30_000)

afterEach(async () => {
  await Promise.all(running.map((node) => node.stop()))
  running = []
})

afterAll(async () => {
  await nats?.stop()
})

/** Records ids in order. */
const journal = fromTransition((ids: readonly string[], event: { type: 'add'; id: string } | { type: 'get' }) => (event.type === 'add' ? [...ids, event.id] : ids), [] as readonly string[])
const kind: ClusterPoolKind = { logic: journal }

async function startNodes(cluster: string, ids: readonly string[], carts: ClusterPoolKind = kind): Promise<ClusterNode[]> {
  const nodes = await Promise.all(ids.map((nodeId) => ClusterNode._start(readNodeOptions({ servers: nats.url, cluster, nodeId, leaseTtl: LEASE, pools: { carts } }))))
  running.push(...nodes)
  return nodes
}

/** Resolves once `check` holds (asked every 20 ms); rejects after 15 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * What crossed NATS for one key: pool messages (kind and epoch), and the placements bucket's writes and reads.
 * `writes` are those a node made for itself (its claim, its release); `claims` those a sender made for the node
 * it sent a first message to, JetStream's answer going to that node (they travel with the message).
 */
interface Traffic {
  messages: { k: string; o?: string }[]
  writes: number
  claims: number
  reads: number
}

/** Listens to a cluster's pool subjects and its placements bucket, per key of the pool `carts`. */
async function sniff(cluster: string): Promise<{ nc: NatsConnection; of: (key: string) => Traffic; settled: () => Promise<void> }> {
  const nc = await connect({ servers: nats.url })
  const traffic = new Map<string, Traffic>()
  const of = (key: string): Traffic => {
    let t = traffic.get(key)
    if (!t) traffic.set(key, (t = { messages: [], writes: 0, claims: 0, reads: 0 }))
    return t
  }
  // A record's key in the bucket is the pool and the key in base64url (keys.ts, placementKey).
  const keyOf = (recordKey: string) => (recordKey.startsWith('p.carts.') ? Buffer.from(recordKey.slice('p.carts.'.length), 'base64url').toString() : undefined)
  nc.subscribe(`keepsake.${cluster}.pool.*`, {
    callback: (_error, msg) => {
      const body = JSON.parse(new TextDecoder().decode(msg.data)) as { k: string; n: string; o?: string }
      of(body.n).messages.push({ k: body.k, ...(body.o === undefined ? {} : { o: body.o }) })
    }
  })
  const bucket = `keepsake_${cluster}_placements`
  nc.subscribe(`$KV.${bucket}.>`, {
    callback: (_error, msg) => {
      const key = keyOf(msg.subject.slice(`$KV.${bucket}.`.length))
      if (key !== undefined && msg.reply?.startsWith(`keepsake.${cluster}.pool.`)) of(key).claims++
      else if (key !== undefined) of(key).writes++
    }
  })
  // A read is a get of the record's last message: a direct get naming it in its subject, or a stream message get naming it in its body.
  const read = (subject: string) => {
    const key = keyOf(subject.slice(`$KV.${bucket}.`.length))
    if (subject.startsWith(`$KV.${bucket}.`) && key !== undefined) of(key).reads++
  }
  nc.subscribe(`$JS.API.DIRECT.GET.KV_${bucket}.>`, { callback: (_error, msg) => read(msg.subject.slice(`$JS.API.DIRECT.GET.KV_${bucket}.`.length)) })
  nc.subscribe(`$JS.API.STREAM.MSG.GET.KV_${bucket}`, {
    callback: (_error, msg) => read(String((JSON.parse(new TextDecoder().decode(msg.data)) as { last_by_subj?: string }).last_by_subj))
  })
  await nc.flush()
  // Whatever the nodes published before this round trip of ours has reached our subscriptions.
  return { nc, of, settled: () => nc.flush() }
}

/** The node each key's placement record names, read from the bucket (undefined: no record). */
async function recorded(cluster: string, keys: readonly string[]): Promise<(string | undefined)[]> {
  const nc = await connect({ servers: nats.url })
  try {
    const kv = await new Kvm(nc).open(`keepsake_${cluster}_placements`)
    const entries = await Promise.all(keys.map((key) => kv.get(placementKey('carts', key))))
    return entries.map((entry) => (entry?.operation === 'PUT' ? (JSON.parse(entry.string()) as { node: string }).node : undefined))
  } finally {
    await nc.close()
  }
}

describe('the first call to a new key of a cluster pool', () => {
  it('is one message to the node bounded hashing names, which places the key (one KV write) and delivers it; no place, no KV read; on the asking node, the KV write alone', async () => {
    const nodes = await startNodes('first', ['a', 'b'])
    await until(() => nodes.every((node) => node.nodes().length === 2 && node.pool('carts').loads().length === 2), 'each node sees the other')
    const [a, b] = nodes as [ClusterNode, ClusterNode]
    const wire = await sniff('first')
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `new-${i}`)
      for (const key of keys) {
        expect(await a.pool('carts').call(key, { type: 'add', id: 'a' })).toEqual(['a'])
        await wire.settled()
        // One call, sent with the epoch that means "place it if no node has", and its record written by a along with it,
        // naming b: b writes nothing, and delivers it once JetStream's answer says the record is its own. A key a
        // places on itself is served in-process: nothing crosses NATS but a's write of its record.
        const local = a.pool('carts').keys().includes(key)
        expect(wire.of(key)).toEqual(local ? { messages: [], writes: 1, claims: 0, reads: 0 } : { messages: [{ k: 'call', o: '*' }], writes: 0, claims: 1, reads: 0 })
      }
      const holders = keys.map((key) => (a.pool('carts').keys().includes(key) ? 'a' : b.pool('carts').keys().includes(key) ? 'b' : 'none'))
      // Both nodes took some (bounded hashing), each key on one; the asker's cache names where it is.
      expect(new Set(holders)).toEqual(new Set(['a', 'b']))
      keys.forEach((key, i) => expect(a.pool('carts').placement(key)).toBe(holders[i]))
      for (const key of keys) {
        // From the other node, not cached: its guess is where the key is (its view agrees), or the guess is bounced and
        // it reads the record; either way the key stays where it is.
        expect(await b.pool('carts').call(key, { type: 'add', id: 'b' })).toEqual(['a', 'b'])
        // Cached on a: its route keeps addressing the key as its first message did; one message, nothing read or written.
        await wire.settled()
        const before = structuredClone(wire.of(key))
        expect(await a.pool('carts').call(key, { type: 'get' })).toEqual(['a', 'b'])
        await wire.settled()
        expect(wire.of(key)).toEqual({ ...before, messages: [...before.messages, { k: 'call', o: '*' }] })
        expect([a, b].filter((node) => node.pool('carts').keys().includes(key))).toHaveLength(1)
      }
    } finally {
      await wire.nc.close()
    }
  }, 60_000)

  it('a key placed again after it passivated costs one KV write on the node that released it (an update on its tombstone), no read', async () => {
    const nodes = await startNodes('again', ['a', 'b'], { logic: journal, idleTimeout: 200 })
    await until(() => nodes.every((node) => node.nodes().length === 2 && node.pool('carts').loads().length === 2), 'each node sees the other')
    const [a, b] = nodes as [ClusterNode, ClusterNode]
    const keys = Array.from({ length: 12 }, (_, i) => `again-${i}`)
    const holder = (key: string) => nodes.find((node) => node.pool('carts').keys().includes(key))?.id
    const released = new Map<string, string | undefined>()
    for (const key of keys) {
      await a.pool('carts').call(key, { type: 'add', id: 'a' })
      released.set(key, holder(key))
    }
    await until(() => nodes.every((node) => node.pool('carts').load().keys === 0), 'every key passivated (its record released)')
    const wire = await sniff('again')
    try {
      // From b, which never called them: its guess goes straight to the key's node, which places it again.
      for (const key of keys) expect(await b.pool('carts').call(key, { type: 'get' })).toEqual([])
      await wire.settled()
      const same = keys.filter((key) => holder(key) === released.get(key))
      // With every key released the bound pushes none off its first choice: most come back where they were.
      expect(same.length).toBeGreaterThanOrEqual(keys.length / 2)
      // Before: a create over the tombstone (refused, then the client's read of it, then the write): 2 writes, 1 read.
      // On a, b's write of the record along with its message is refused (a tombstone b did not leave): a's update.
      for (const key of same) {
        const onB = holder(key) === 'b'
        expect(wire.of(key)).toEqual({ messages: onB ? [] : [{ k: 'call', o: '*' }], writes: 1, claims: onB ? 0 : 1, reads: 0 })
      }
      await until(() => nodes.every((node) => node.pool('carts').load().keys === 0), 'every key passivated again')
      // From a, whose cache names the released placement: bounced, placed (one update), sent again; nothing read.
      const before = new Map(same.map((key) => [key, structuredClone(wire.of(key))]))
      for (const key of same) expect(await a.pool('carts').call(key, { type: 'get' })).toEqual([])
      await wire.settled()
      for (const key of same) {
        if (holder(key) !== released.get(key)) continue
        const then = before.get(key)!
        expect(wire.of(key)).toMatchObject({ writes: then.writes + 1, reads: then.reads })
      }
    } finally {
      await wire.nc.close()
    }
  }, 60_000)

  it('a guess that lands where the key is not (a node joined since it was placed) is bounced, and the message reaches the key where it is, once', async () => {
    const [a, b] = (await startNodes('joined', ['a', 'b'])) as [ClusterNode, ClusterNode]
    await until(() => [a, b].every((node) => node.nodes().length === 2), 'a and b see each other')
    const keys = Array.from({ length: 24 }, (_, i) => `old-${i}`)
    for (const key of keys) await a.pool('carts').call(key, { type: 'add', id: 'before' })
    const [c] = (await startNodes('joined', ['c'])) as [ClusterNode]
    await until(() => [a, b, c].every((node) => node.nodes().length === 3 && node.pool('carts').loads().length === 3), 'the three see each other')
    const wire = await sniff('joined')
    try {
      // c's view (three nodes) names another node than the one holding the key for some keys: itself for about a
      // third, and the other of a and b for some where the bound now says so.
      for (const key of keys) expect(await c.pool('carts').call(key, { type: 'add', id: 'c' })).toEqual(['before', 'c'])
      await wire.settled()
      const guessedWrong = keys.filter((key) => wire.of(key).writes > 0)
      expect(guessedWrong.length).toBeGreaterThan(0)
      for (const key of guessedWrong) {
        // The guess (its node could not create the record: a or b holds it), then c reads the record and sends the
        // call there, with the key's epoch. A guess naming c itself is served in-process: only the second crosses.
        const sent = wire.of(key).messages.map((m) => `${m.k} ${m.o !== undefined && /^\d+$/.test(m.o) ? 'epoch' : m.o}`)
        expect([['call *', 'call epoch'], ['call epoch']]).toContainEqual(sent)
        // The failed create, the client's read of what is there, the node's look for a stale record of its own, c's read;
        // and with a guess to another node, c's write of the record along with it (refused), while c still writes them.
        expect(wire.of(key)).toMatchObject({ writes: 1, reads: 3 })
        expect(wire.of(key).claims).toBeLessThanOrEqual(sent.length - 1)
      }
      // The others: c's guess named where the key is; one message, nothing read, and c's write of the record along
      // with it refused (the key has one), off the call's path.
      for (const key of keys.filter((k) => !guessedWrong.includes(k))) {
        expect(wire.of(key)).toMatchObject({ messages: [{ k: 'call', o: '*' }], writes: 0, reads: 0 })
      }
      // Every write c made along with a first message was refused (each key had a record): after 8 in a row it
      // writes one for one guess in 16 only (the keys are called one after another, so each answer came back first).
      const claims = keys.reduce((n, key) => n + wire.of(key).claims, 0)
      const remoteGuesses = keys.filter((key) => wire.of(key).messages[0]?.o === '*').length
      expect(claims).toBe(Math.min(8, remoteGuesses) + Math.floor(Math.max(0, remoteGuesses - 8) / 16))
      // No key moved: each is still on a or b alone, and c holds none.
      expect(c.pool('carts').keys()).toEqual([])
      for (const key of keys) expect([a, b].filter((node) => node.pool('carts').keys().includes(key))).toHaveLength(1)
    } finally {
      await wire.nc.close()
    }
  }, 60_000)

  it('a node that bounces a first message (it takes no new key) deletes the record written for it along with it; the key is placed elsewhere, once', async () => {
    const [a, b] = (await startNodes('bounce', ['a', 'b'])) as [ClusterNode, ClusterNode]
    await until(() => [a, b].every((node) => node.nodes().length === 2 && node.pool('carts').loads().length === 2), 'each node sees the other')
    const wire = await sniff('bounce')
    try {
      // b takes no new key from now on (as when leaving); a learns it from b's next heartbeat, or from b's refusals.
      b.pool('carts')._leaving()
      const keys = Array.from({ length: 24 }, (_, i) => `bounce-${i}`)
      for (const key of keys) expect(await a.pool('carts').call(key, { type: 'add', id: 'a' })).toEqual(['a'])
      await wire.settled()
      // Those a guessed on b went with their record, written by a for b: b deleted it, bounced the call, and a placed
      // the key on itself (its create over b's tombstone).
      const guessedB = keys.filter((key) => wire.of(key).claims > 0)
      expect(guessedB.length).toBeGreaterThan(0)
      for (const key of guessedB) expect(wire.of(key).messages[0]).toEqual({ k: 'call', o: '*' })
      expect(b.pool('carts').keys()).toEqual([])
      expect(a.pool('carts').keys().sort()).toEqual([...keys].sort())
      expect(await recorded('bounce', keys)).toEqual(keys.map(() => 'a'))
    } finally {
      await wire.nc.close()
    }
  }, 60_000)
})
