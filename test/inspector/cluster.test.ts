import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, type ClusterNode } from '../../src/cluster'
import { startInspector, type View } from '../../src/inspector'
import { launchChromium } from '../support/chromium'
import { startNats, type NatsServer } from '../support/nats'
import { device } from './tree'

// The inspector on a cluster node: a private nats-server, one node in this process.

let nats: NatsServer
let node: ClusterNode

beforeAll(async () => {
  nats = await startNats()
  node = await startNode({ servers: nats.url, cluster: 'inspected', nodeId: 'node-a', kinds: { device: { logic: device } } })
}, 60_000)

afterAll(async () => {
  await node?.stop()
  await nats?.stop()
})

describe('inspector on a cluster node', () => {
  it('shows the node, its cluster, the names it holds, and its global branches as the tree', async () => {
    await node.startBranch({ kind: 'device', name: 'global-1' })
    await node.startBranch({ kind: 'device', name: 'global-2' })
    const inspector = await startInspector({ node })
    try {
      const view = (await (await fetch(new URL('api/view', inspector.url))).json()) as View
      expect(view.cluster).toEqual({ node: 'node-a', cluster: 'inspected', nodes: ['node-a'], heldCount: 2, held: expect.arrayContaining(['global-1', 'global-2']) })
      expect(view.roots.map((r) => r.path)).toEqual([node.supervisor.id])
      expect(view.roots[0]?.children?.map((c) => c.kind)).toEqual(['branch', 'branch'])

      const browser = await launchChromium()
      try {
        const page = await browser.context.newPage()
        await page.goto(inspector.url)
        await page.locator('#cluster', { hasText: 'node node-a of inspected · 1 live: node-a · 2 names held' }).waitFor()
        expect(await page.locator('.node.branch').count()).toBe(2)
      } finally {
        await browser.close()
      }
    } finally {
      await inspector.close()
    }
  })

  it('refuses something that is not a node', async () => {
    await expect(startInspector({ node: { id: 'x' } as unknown as ClusterNode })).rejects.toThrow(/Option "node" must be a cluster node/)
  })
})
