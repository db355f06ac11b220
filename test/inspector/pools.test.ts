import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { InvalidOptionError } from '../../src/index'
import { ClusterNode, type PoolCensus } from '../../src/cluster'
import { readNodeOptions } from '../../src/cluster/options'
import { loadNats } from '../../src/cluster/nats'
import { placementKey } from '../../src/cluster/keys'
import { startInspector, type Inspector, type View } from '../../src/inspector'
import { launchChromium } from '../support/chromium'
import { startNats, type NatsServer } from '../support/nats'

// The inspector's view of a cluster pool (issue 21): keys per node from the heartbeats in every
// update, and which node holds which keys from the placement records, on demand. A private
// nats-server; two nodes in this process (ClusterNode._start), the inspector on the first.

const TOKEN = 'pools-token-0123456789abcdef'
const AUTH = { Authorization: `Bearer ${TOKEN}` }
let nats: NatsServer
let a: ClusterNode
let b: ClusterNode
/** Keys of the pool `carts` the tests call, a key with a secret in it among them. */
const keys = [...Array.from({ length: 20 }, (_, i) => `cart-${i}`), 'user?token=s3cr3t-value']

const journal = fromTransition((ids: readonly string[], event: { type: 'add'; id: string } | { type: 'get' }) => (event.type === 'add' ? [...ids, event.id] : ids), [] as readonly string[])

beforeAll(async () => {
  ;[nats] = await Promise.all([startNats(), loadNats()])
  ;[a, b] = (await Promise.all(
    ['a', 'b'].map((nodeId) => ClusterNode._start(readNodeOptions({ servers: nats.url, cluster: 'seen', nodeId, leaseTtl: 1500, pools: { carts: { logic: journal } } })))
  )) as [ClusterNode, ClusterNode]
  await until(() => [a, b].every((node) => node.nodes().length === 2), 'the nodes see each other')
  for (const key of keys) await b.pool('carts').call(key, { type: 'add', id: 'x' })
  // A record naming a node that is gone: a dead placement, replaced on its key's next message.
  const nc = await connect({ servers: nats.url })
  try {
    await (await new Kvm(nc).open('keepsake_seen_placements')).create(placementKey('carts', 'orphan'), JSON.stringify({ node: 'gone', inc: 'long-ago' }))
  } finally {
    await nc.close()
  }
}, 60_000)

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  await nats?.stop()
})

/** Resolves once `check` holds (asked every 20 ms); rejects after 15 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function get<T>(inspector: Inspector, path: string, headers: Record<string, string> = AUTH): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, inspector.url), { headers })
  return { status: res.status, body: (await res.json()) as T }
}

const held = (node: ClusterNode) => [...node.pool('carts').keys()].sort()

describe('the inspector on a node with cluster pools', () => {
  it('shows each pool across the nodes: keys per node from the heartbeats, in every update', async () => {
    const inspector = await startInspector({ node: a, token: TOKEN, interval: 50 })
    try {
      const expected = [
        { node: 'a', keys: held(a).length, overloaded: false },
        { node: 'b', keys: held(b).length, overloaded: false }
      ]
      expect(expected.every((n) => n.keys > 0)).toBe(true)
      let view: View | undefined
      // b's count reaches a in b's next heartbeat.
      await until(async () => {
        view = (await get<View>(inspector, 'api/view')).body
        return JSON.stringify(view.cluster?.pools?.[0]?.nodes) === JSON.stringify(expected)
      }, "b's heartbeat carried its keys to a")
      expect(view?.cluster?.pools).toEqual([{ name: 'carts', keys: keys.length, nodes: expected }])
    } finally {
      await inspector.close()
    }
  }, 30_000)

  it('answers which node holds which keys from the placement records, redacted, dead placements apart, behind the token', async () => {
    const inspector = await startInspector({ node: a, token: TOKEN })
    try {
      expect((await get(inspector, 'api/pools?name=carts', {})).status).toBe(401)
      const { status, body } = await get<PoolCensus>(inspector, 'api/pools?name=carts')
      expect(status).toBe(200)
      const shown = (key: string) => (key.startsWith('user?') ? 'user?token=[redacted]' : key)
      expect(body.pool).toBe('carts')
      expect(body.nodes.map((n) => [n.node, n.keys])).toEqual([
        ['a', held(a).length],
        ['b', held(b).length]
      ])
      expect(body.placements).toEqual([
        { node: 'a', live: true, keys: held(a).map(shown).sort() },
        { node: 'b', live: true, keys: held(b).map(shown).sort() },
        { node: 'gone', live: false, keys: ['orphan'] }
      ])
      expect(JSON.stringify(body)).not.toContain('s3cr3t')
      expect(body).toMatchObject({ read: keys.length + 1, truncated: false })
      // A limit: that many records read, and the answer says there were more.
      const few = (await get<PoolCensus>(inspector, 'api/pools?name=carts&limit=3')).body
      expect(few).toMatchObject({ read: 3, truncated: true })
      expect(few.placements.flatMap((g) => g.keys)).toHaveLength(3)
      expect((await get<{ error: string }>(inspector, 'api/pools?name=nope')).body.error).toMatch(/no cluster pool "nope" on this node \(it has: carts\)/)
      expect((await get(inspector, 'api/pools?name=carts&limit=-1')).status).toBe(400)
      expect((await get(inspector, 'api/pools?name=carts&limit=10001')).status).toBe(400)
    } finally {
      await inspector.close()
    }
  }, 30_000)

  it('sends nothing of a pool whose keys the redactor fails on; the census refuses a bad limit', async () => {
    const inspector = await startInspector({
      node: a,
      redact: (_key, value) => {
        if (typeof value === 'string' && value.startsWith('user?')) throw new Error('no')
        return value
      }
    })
    try {
      const refused = await get<{ error: string }>(inspector, 'api/pools?name=carts', {})
      expect(refused.status).toBe(500)
      expect(refused.body.error).toMatch(/nothing of the pool was sent/)
      expect(JSON.stringify(refused.body)).not.toContain('cart-')
    } finally {
      await inspector.close()
    }
    await expect(a.pool('carts').census({ limit: -1 })).rejects.toBeInstanceOf(InvalidOptionError)
    expect(await a.pool('carts').census({ limit: 0 })).toMatchObject({ placements: [], read: 0, truncated: false })
  }, 30_000)

  it('the page lists the pool with its keys per node, and each node\'s keys on demand', async () => {
    const inspector = await startInspector({ node: a, interval: 50 })
    try {
      const browser = await launchChromium()
      try {
        const page = await browser.context.newPage()
        await page.goto(inspector.url)
        const pool = page.locator('.pool[data-pool="carts"]')
        await pool.locator('.pool-head', { hasText: `${keys.length} keys on 2 nodes` }).waitFor()
        await pool.locator('.pool-node[data-node="b"]', { hasText: `${held(b).length} keys` }).waitFor()
        await pool.getByRole('button', { name: 'keys by node' }).click()
        await pool.locator('.pool-node[data-node="a"] .pool-keys', { hasText: held(a)[0] as string }).waitFor()
        await pool.locator('.hint', { hasText: 'dead placements on gone' }).waitFor()
      } finally {
        await browser.close()
      }
    } finally {
      await inspector.close()
    }
  }, 60_000)
})
