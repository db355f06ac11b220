import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { fromTransition } from 'xstate'
import { afterEach, describe, expect, it } from 'vitest'
import { branchSpec, call, cast, InvalidOptionError, MemoryStore, startBranch, startDynamicSupervisor, startSupervisor, whereis, type AnyBranch, type Supervisor } from '../../src/index'
import { startInspector, type Inspector, type TimelineEntry, type View, type ViewNode } from '../../src/inspector'
import { probe } from '../../src/supervisor/probe'
import { openStream } from '../support/sse'
import { device, redactSecrets, startTree } from './tree'

const TOKEN = 'test-token-0123456789abcdef'
const inspectors: Inspector[] = []
const trees: { stop(): Promise<void> }[] = []

afterEach(async () => {
  await Promise.all(inspectors.splice(0).map((i) => i.close()))
  await Promise.all(trees.splice(0).map((t) => t.stop()))
})

async function inspect(root: Supervisor, options: Parameters<typeof startInspector>[0] = {}): Promise<Inspector> {
  const inspector = await startInspector({ root, ...options })
  inspectors.push(inspector)
  return inspector
}

async function tree(suffix: string): Promise<Supervisor> {
  const root = await startTree(suffix)
  trees.push(root)
  return root
}

const AUTH = { Authorization: `Bearer ${TOKEN}` }

/** GET as a script would: with the token when the inspector has one. */
async function getJson<T>(inspector: Inspector, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, inspector.url), { headers: inspector.actions ? AUTH : {} })
  return { status: res.status, body: (await res.json()) as T }
}

/** Reads are served from the last update: waits on the stream for the first view that passes `test`. */
async function viewWhen(inspector: Inspector, query: string, test: (view: View) => boolean, what: string): Promise<View> {
  const stream = await openStream(new URL(`api/events${query}`, inspector.url).href, inspector.actions ? AUTH : {})
  try {
    return (await stream.next((e) => e.event === 'view' && test(e.data as View), what, 5000)).data as View
  } finally {
    stream.close()
  }
}

function act(inspector: Inspector, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: { ok?: true; done?: string; error?: string } }> {
  return fetch(new URL('api/actions', inspector.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as { ok?: true; done?: string; error?: string } }))
}

function find(nodes: readonly ViewNode[], path: string): ViewNode {
  for (const node of nodes) {
    if (node.path === path) return node
    const below = node.children && findOrUndefined(node.children, path)
    if (below) return below
  }
  throw new Error(`no node ${path} in the view`)
}

function findOrUndefined(nodes: readonly ViewNode[], path: string): ViewNode | undefined {
  try {
    return find(nodes, path)
  } catch {
    return undefined
  }
}

describe('inspector server: the tree', () => {
  it('shows a three-level tree with strategies, statuses, restart counts and intensity left', async () => {
    const root = await tree('view')
    const inspector = await inspect(root)
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const app = find(view.roots, 'app-view')
    expect(app).toMatchObject({ kind: 'supervisor', strategy: 'one_for_one', status: 'running', intensity: { inWindow: 0, maxRestarts: 3, maxSeconds: 5 } })
    expect(app.children?.map((c) => c.id)).toEqual(['devices', 'spare', 'clock'])
    expect(find(view.roots, 'app-view/devices')).toMatchObject({ strategy: 'one_for_all', counts: { running: 2 }, intensity: { maxRestarts: 5 } })
    expect(find(view.roots, 'app-view/devices/sensor-1')).toMatchObject({ kind: 'branch', status: 'running', incarnation: 1, workerRestarts: 0, queued: 0, restart: 'permanent' })
    expect(view.totals).toMatchObject({ supervisors: 3, branches: 3, byStatus: { running: 3 } })
  })

  it('streams a crash with its reason and stack, and the restarted worker, as they happen', async () => {
    const root = await tree('stream')
    const inspector = await inspect(root, { interval: 60_000 })
    const stream = await openStream(new URL('api/events', inspector.url).href)
    try {
      expect((await stream.next((e) => e.event === 'hello', 'hello')).data).toEqual({ instance: expect.any(String), actions: false, interval: 60_000 })
      await stream.next((e) => e.event === 'view', 'the first view')
      await expect(call('sensor-2-stream', { type: 'fail' })).rejects.toThrow()
      // The interval is a minute: only the crash itself can bring these.
      const timeline = await stream.next((e) => e.event === 'timeline', 'the timeline', 2000)
      const entries = timeline.data as TimelineEntry[]
      expect(entries.map((e) => e.kind)).toEqual(['crash', 'restart'])
      expect(entries[0]).toMatchObject({ subject: 'sensor-2-stream', detail: 'worker #1 crashed while processing fail: sensor returned NaN', reason: { name: 'Error', message: 'sensor returned NaN' } })
      expect(entries[0]?.reason?.stack).toContain('sensor returned NaN')
      const { data } = await stream.next((e) => e.event === 'view', 'the view after the crash', 2000)
      expect(find((data as View).roots, 'app-stream/devices/sensor-2')).toMatchObject({
        status: 'running',
        incarnation: 2,
        workerRestarts: 1,
        intensity: { inWindow: 1, maxRestarts: 1000 },
        lastCrash: { incarnation: 1, reason: { message: 'sensor returned NaN' } }
      })
    } finally {
      stream.close()
    }
  })

  it('counts messages per second and the mailbox', async () => {
    const root = await tree('rate')
    const inspector = await inspect(root, { interval: 50 })
    const stream = await openStream(new URL('api/events?sort=rate', inspector.url).href)
    try {
      for (let i = 0; i < 200; i++) cast('clock-rate', { type: 'read' })
      await call('clock-rate', { type: 'read' })
      const { data } = await stream.next((e) => e.event === 'view' && (find((e.data as View).roots, 'app-rate/clock').rate ?? 0) > 0, 'a rate', 5000)
      expect(find((data as View).roots, 'app-rate/clock').rate).toBeGreaterThan(10)
    } finally {
      stream.close()
    }
  })

  it('shows how each branch is set up: durable, isolated, passivating, and passivated once idle', async () => {
    const sup = await startSupervisor({
      id: 'setups',
      children: [
        branchSpec({ id: 'kept', branch: { logic: device, name: 'kept-setups', durable: { store: new MemoryStore(), id: 'kept', mode: 'journal' } } }),
        branchSpec({ id: 'apart', branch: { logic: { module: fileURLToPath(new URL('../worker/isolated/logics.ts', import.meta.url)), export: 'device' }, name: 'apart-setups', isolation: 'thread' } }),
        branchSpec({ id: 'sleepy', branch: { logic: device, name: 'sleepy-setups', idleTimeout: 20 } })
      ]
    })
    trees.push(sup)
    const inspector = await inspect(sup)
    const { body: view } = await getJson<View>(inspector, 'api/view')
    expect(find(view.roots, 'setups/kept')).toMatchObject({ durable: { mode: 'journal', durability: 'sync' } })
    expect(find(view.roots, 'setups/kept').isolation).toBeUndefined()
    expect(find(view.roots, 'setups/apart')).toMatchObject({ isolation: 'thread', status: 'running' })
    expect(find(view.roots, 'setups/sleepy').idleTimeout).toBe(20)
    const sleepy = whereis('sleepy-setups') as AnyBranch
    if (sleepy.status !== 'passivated') await new Promise((resolve) => sleepy.once('passivate', resolve))
    const passivated = await viewWhen(inspector, '?status=passivated', (v) => v.matched === 1, 'the passivated branch')
    expect(find(passivated.roots, 'setups').children?.map((c) => c.id)).toEqual(['sleepy'])
    expect(find(passivated.roots, 'setups/sleepy').status).toBe('passivated')
  })

  it('stays small with 10,000 branches: a page of children, counts of all, a filter that finds one', async () => {
    const pool = await startDynamicSupervisor({ id: 'big' })
    trees.push(pool)
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => pool.startChild(branchSpec({ id: `w-${i}`, branch: { logic: device } }))))
    const inspector = await inspect(pool)
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const big = find(view.roots, 'big')
    expect(big.children).toHaveLength(100)
    expect(big.hidden).toBe(9_900)
    expect(big.counts?.running).toBe(10_000)
    expect(view.matched).toBe(10_000)
    expect(view.shown).toBe(101)

    const { body: one } = await getJson<View>(inspector, 'api/view?q=W-9999')
    expect(find(one.roots, 'big').children?.map((c) => c.id)).toEqual(['w-9999'])

    const { body: wide } = await getJson<View>(inspector, 'api/view?limit=1000&q=w-')
    expect(find(wide.roots, 'big').children).toHaveLength(1000)
    const text = JSON.stringify(wide)
    expect(text.length).toBeLessThan(1_000_000)
  }, 60_000)

  it('filters by status: crashed branches only', async () => {
    const root = await tree('status')
    const inspector = await inspect(root)
    await expect(call('clock-status', { type: 'fail' })).rejects.toThrow()
    const body = await viewWhen(inspector, '?status=crashed', (v) => v.matched > 0, 'a crashed branch')
    expect(body.matched).toBe(1)
    expect(find(body.roots, 'app-status').children?.map((c) => c.id)).toEqual(['clock'])
    expect((await getJson(inspector, 'api/view?status=bogus')).status).toBe(400)
    expect((await getJson(inspector, 'api/view?limit=0')).status).toBe(400)
  })

  it('keeps to its root: the timeline has no events of other trees', async () => {
    const mine = await tree('mine')
    await tree('other')
    const inspector = await inspect(mine)
    await expect(call('clock-other', { type: 'fail' })).rejects.toThrow()
    await expect(call('clock-mine', { type: 'fail' })).rejects.toThrow()
    const added = await mine.startChild(branchSpec({ id: 'late', branch: { logic: device, name: 'late-mine' } }))
    await expect(call(added as never, { type: 'fail' })).rejects.toThrow()
    const stream = await openStream(new URL('api/events', inspector.url).href)
    try {
      await stream.next((e) => e.event === 'timeline' && (e.data as TimelineEntry[]).some((t) => t.subject === 'late-mine' && t.kind === 'restart'), 'the late branch restarted')
    } finally {
      stream.close()
    }
    const { body } = await getJson<TimelineEntry[]>(inspector, 'api/timeline')
    expect(body.map((e) => `${e.kind} ${e.subject}`)).toEqual(['crash clock-mine', 'restart clock-mine', 'crash late-mine', 'restart late-mine'])
  })

  it('shows every root of the process when given none', async () => {
    const root = await tree('all')
    const loose = await startBranch({ logic: device, name: 'loose-all' })
    trees.push(loose)
    const inspector = await startInspector()
    inspectors.push(inspector)
    const { body } = await getJson<View>(inspector, 'api/view?q=-all')
    expect(body.roots.map((r) => r.path)).toEqual(expect.arrayContaining(['app-all', 'loose-all']))
    expect(root.status).toBe('running')
  })
})

describe('inspector server: state and redaction', () => {
  it('serves a branch state with the redacted fields hidden', async () => {
    const root = await tree('state')
    const inspector = await inspect(root, { redact: redactSecrets })
    await call('sensor-1-state', { type: 'read' })
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const key = find(view.roots, 'app-state/devices/sensor-1').key
    const res = await fetch(new URL(`api/state?key=${key}`, inspector.url))
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(JSON.parse(text)).toMatchObject({ id: 'sensor-1', state: { readings: 1, apiKey: '[redacted]', owner: { name: 'ada', password: '[redacted]' } }, truncated: false })
    expect(text).not.toContain('SECRET')
    expect(text).not.toContain('hunter2')
  })

  it('sends nothing of a state when the redact function throws', async () => {
    const root = await tree('throws')
    const inspector = await inspect(root, {
      redact: (key, value) => {
        if (key === 'owner') throw new Error('no owners here')
        return value
      }
    })
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const res = await fetch(new URL(`api/state?key=${find(view.roots, 'app-throws/clock').key}`, inspector.url))
    const text = await res.text()
    expect(res.status).toBe(500)
    expect(JSON.parse(text).error).toMatch(/redact function threw at owner: Error: no owners here; nothing of the state was sent/)
    expect(text).not.toContain('SECRET')
    expect(text).not.toContain('readings')
  })

  it('caps a huge state and answers a cyclic one', async () => {
    type Hostile = { big: string; many: number[]; self?: unknown }
    const hostile = fromTransition(
      (state: Hostile, event: { type: 'loop' }): Hostile => {
        if (event.type !== 'loop') return state
        const looped: Record<string, unknown> = { big: state.big, many: state.many }
        looped.self = looped
        return looped as Hostile
      },
      { big: 'x'.repeat(5_000_000), many: Array.from({ length: 200_000 }, (_, i) => i) }
    )
    const sup = await startSupervisor({ id: 'hostile', children: [branchSpec({ id: 'h', branch: { logic: hostile, name: 'hostile-h' } })] })
    trees.push(sup)
    const inspector = await inspect(sup, { stateLimits: { maxBytes: 16_384 } })
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const url = new URL(`api/state?key=${find(view.roots, 'hostile/h').key}`, inspector.url)
    const huge = await fetch(url)
    const hugeText = await huge.text()
    expect(huge.status).toBe(200)
    expect(hugeText.length).toBeLessThan(16_384 + 4096)
    expect(JSON.parse(hugeText).truncated).toBe(true)

    await call('hostile-h', { type: 'loop' })
    const cyclic = await fetch(url)
    const body = (await cyclic.json()) as { state: { self: unknown } }
    expect(cyclic.status).toBe(200)
    expect(body.state.self).toBe('[Circular]')
  })

  it('answers 404 for a key that is not a branch', async () => {
    const root = await tree('nokey')
    const inspector = await inspect(root)
    expect((await getJson(inspector, 'api/state?key=nope')).status).toBe(404)
    const { body: view } = await getJson<View>(inspector, 'api/view')
    expect((await getJson(inspector, `api/state?key=${find(view.roots, 'app-nokey').key}`)).status).toBe(404)
  })
})

describe('inspector server: tokens and actions', () => {
  it('is read-only without a token: every action is refused', async () => {
    const root = await tree('readonly')
    const inspector = await inspect(root)
    expect(inspector.actions).toBe(false)
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const key = find(view.roots, 'app-readonly/clock').key
    const refused = await act(inspector, { action: 'kill', key }, { Authorization: `Bearer ${TOKEN}` })
    expect(refused).toEqual({ status: 403, body: { error: 'this inspector is read-only: start it with a token to enable actions' } })
    expect(find((await getJson<View>(inspector, 'api/view')).body.roots, 'app-readonly/clock').incarnation).toBe(1)
  })

  it('refuses an action with no token, a wrong one, one of another length or in the wrong place', async () => {
    const root = await tree('wrong')
    const inspector = await inspect(root, { token: TOKEN })
    const { body: view } = await getJson<View>(inspector, 'api/view')
    const key = find(view.roots, 'app-wrong/clock').key
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: '' },
      { Authorization: 'Bearer ' },
      { Authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      { Authorization: `Bearer ${TOKEN}${TOKEN}` },
      { Authorization: `Bearer ${TOKEN.slice(0, 5)}` },
      { Authorization: `bearer ${TOKEN}` },
      { Authorization: TOKEN },
      { Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { Cookie: `token=${TOKEN}` }
    ]
    for (const headers of attempts) {
      const { status, body } = await act(inspector, { action: 'kill', key }, headers)
      expect(status, JSON.stringify(headers)).toBe(401)
      expect(body.error).toMatch(/needs the inspector's token/)
    }
    // The token is checked before the body is read: garbage without it is still a 401.
    expect((await act(inspector, '{not json')).status).toBe(401)
    expect(find((await getJson<View>(inspector, 'api/view')).body.roots, 'app-wrong/clock').incarnation).toBe(1)
  })

  it('with the token: kills a worker, terminates and restarts a child, transfers a branch', async () => {
    const root = await tree('act')
    const inspector = await inspect(root, { token: TOKEN })
    expect(inspector.actions).toBe(true)
    const auth = AUTH
    const keyOf = async (path: string) => find((await getJson<View>(inspector, 'api/view')).body.roots, path).key

    expect(await act(inspector, { action: 'kill', key: await keyOf('app-act/clock') }, auth)).toEqual({ status: 200, body: { ok: true, done: 'killed worker #1 of clock' } })
    expect(find((await getJson<View>(inspector, 'api/view')).body.roots, 'app-act/clock')).toMatchObject({ incarnation: 2, lastCrash: { reason: { message: 'killed from the inspector' } } })

    const devices = await keyOf('app-act/devices')
    expect((await act(inspector, { action: 'terminate', key: devices }, auth)).status).toBe(200)
    expect(find((await getJson<View>(inspector, 'api/view')).body.roots, 'app-act/devices').status).toBe('stopped')
    expect(await act(inspector, { action: 'restart', key: await keyOf('app-act/devices') }, auth)).toEqual({ status: 200, body: { ok: true, done: 'restarted devices' } })
    expect(find((await getJson<View>(inspector, 'api/view')).body.roots, 'app-act/devices').status).toBe('running')

    await call('sensor-1-act', { type: 'read' })
    const moved = await act(inspector, { action: 'transfer', key: await keyOf('app-act/devices/sensor-1'), to: await keyOf('app-act/spare') }, auth)
    expect(moved).toEqual({ status: 200, body: { ok: true, done: 'moved sensor-1 from devices to spare' } })
    const after = (await getJson<View>(inspector, 'api/view')).body
    expect(find(after.roots, 'app-act/spare').children?.map((c) => c.id)).toEqual(['sensor-1'])
    expect(await call('sensor-1-act', { type: 'read' })).toMatchObject({ readings: 2 })
    const timeline = (await getJson<TimelineEntry[]>(inspector, 'api/timeline')).body
    expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['crash', 'restart', 'transfer']))
  })

  it('answers bad actions with what was wrong', async () => {
    const root = await tree('bad')
    const inspector = await inspect(root, { token: TOKEN })
    const auth = AUTH
    const app = find((await getJson<View>(inspector, 'api/view')).body.roots, 'app-bad')
    expect(await act(inspector, { action: 'kill', key: app.key }, auth)).toEqual({ status: 409, body: { error: 'app-bad is not a branch: only a branch\'s worker can be killed' } })
    expect((await act(inspector, { action: 'terminate', key: app.key }, auth)).body.error).toMatch(/is a root/)
    expect((await act(inspector, { action: 'explode', key: app.key }, auth)).status).toBe(400)
    expect((await act(inspector, { action: 'kill', key: 'nope' }, auth)).status).toBe(404)
    expect((await act(inspector, '{not json', auth)).status).toBe(400)
    expect((await act(inspector, JSON.stringify({ action: 'kill', key: 'x'.repeat(10_000) }), auth)).status).toBe(413)
    const clock = find(app.children ?? [], 'app-bad/clock')
    expect((await act(inspector, { action: 'restart', key: clock.key }, auth)).body.error).toMatch(/ChildRunning|running/)
  })
})

describe('inspector server: where it listens', () => {
  it('needs a token for a host that is not loopback, and a long one', async () => {
    await expect(startInspector({ host: '0.0.0.0' })).rejects.toThrow(InvalidOptionError)
    await expect(startInspector({ host: '0.0.0.0' })).rejects.toThrow(/set when host is not a loopback address/)
    await expect(startInspector({ host: '0.0.0.0', token: TOKEN })).rejects.toThrow(/Option "allowedHosts" must be set when host is not a loopback address/)
    await expect(startInspector({ allowedHosts: ['inspector.internal:80'] })).rejects.toThrow(/Option "allowedHosts" must be a list of host names/)
    await expect(startInspector({ token: 'short' })).rejects.toThrow(/at least 16 characters/)
    await expect(startInspector({ root: {} as Supervisor })).rejects.toThrow(/Option "root" must be a Supervisor or a Branch/)
    await expect(startInspector({ port: -1 })).rejects.toThrow(InvalidOptionError)
    await expect(startInspector({ interval: 1 })).rejects.toThrow(/at least 50 ms/)
  })

  it('on loopback, refuses requests for other host names (DNS rebinding)', async () => {
    const root = await tree('host')
    const inspector = await inspect(root)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: inspector.port, path: '/api/view', headers: { Host: 'evil.example:80' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
    expect((await fetch(`http://localhost:${inspector.port}/api/view`)).status).toBe(200)
  })

  it('serves the page with a policy that forbids inline and foreign code', async () => {
    const root = await tree('page')
    const inspector = await inspect(root)
    const page = await fetch(inspector.url)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('<script src="/app.js" defer></script>')
    expect((await fetch(new URL('app.js', inspector.url))).headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect((await fetch(new URL('nothing', inspector.url))).status).toBe(404)
  })

  it('serves at most 32 pages at once', async () => {
    const root = await tree('many')
    const inspector = await inspect(root)
    const streams = await Promise.all(Array.from({ length: 32 }, () => openStream(new URL('api/events', inspector.url).href)))
    try {
      const refused = await fetch(new URL('api/events', inspector.url))
      expect(refused.status).toBe(503)
      expect(await refused.json()).toEqual({ error: 'at most 32 pages at once' })
    } finally {
      for (const stream of streams) stream.close()
    }
  })

  it('close() ends the streams and frees the port', async () => {
    const root = await tree('close')
    const inspector = await startInspector({ root })
    const stream = await openStream(new URL('api/events', inspector.url).href)
    await stream.next((e) => e.event === 'view', 'a view')
    expect(probe.on).toBe(true)
    await inspector.close()
    expect(probe.on).toBe(false)
    await expect(stream.next(() => false, 'the end')).rejects.toThrow(/ended/)
    await expect(fetch(inspector.url)).rejects.toThrow()
  })
})
