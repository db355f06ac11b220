import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fromTransition } from 'xstate'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { branchSpec, call, InvalidOptionError, startSupervisor, whereis, type AnyBranch, type Supervisor } from '../../src/index'
import { redactSecrets, startInspector, type Inspector, type TimelineEntry, type View, type ViewNode } from '../../src/inspector'
import { launchChromium } from '../support/chromium'
import { openStream } from '../support/sse'
import { startTree } from './tree'

// Issue 17, the inspector's half: each attack an outsider made on an inspector
// started with host 0.0.0.0 and a token, made again against a real port (only
// ever reached through 127.0.0.1), and refused with nothing leaked.

const TOKEN = 'attack-token-0123456789abcdef'
const AUTH = { Authorization: `Bearer ${TOKEN}` }
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
}

/** One request on its own connection, with any headers (Host included, which fetch won't set). */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        // A stream that was let through: what it sent first is enough to judge.
        if (res.headers['content-type']?.startsWith('text/event-stream')) req.destroy()
      })
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') })
      res.on('end', done)
      res.on('close', done)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

async function tree(suffix: string): Promise<Supervisor> {
  const root = await startTree(suffix)
  cleanups.push(() => root.stop())
  return root
}

/** The setup: every interface, a token, and the name the page is opened by. */
async function exposed(root: Supervisor, options: Parameters<typeof startInspector>[0] = {}): Promise<Inspector> {
  const inspector = await startInspector({ root, host: '0.0.0.0', token: TOKEN, allowedHosts: ['127.0.0.1'], ...options })
  cleanups.push(() => inspector.close())
  return inspector
}

function find(nodes: readonly ViewNode[], path: string): ViewNode {
  for (const node of nodes) {
    if (node.path === path) return node
    if (node.children) {
      try {
        return find(node.children, path)
      } catch {
        // not below this one
      }
    }
  }
  throw new Error(`no node ${path} in the view`)
}

async function keyOf(inspector: Inspector, path: string): Promise<string> {
  const view = JSON.parse((await send(inspector.port, '/api/view', { headers: AUTH })).text) as View
  return find(view.roots, path).key
}

/** Opens a session as the page does: the token in a header of a POST, a cookie back. */
async function session(inspector: Inspector): Promise<string> {
  const answer = await send(inspector.port, '/api/session', { method: 'POST', headers: AUTH })
  expect(answer.status).toBe(200)
  const cookie = String(answer.headers['set-cookie'])
  return cookie.slice(0, cookie.indexOf(';'))
}

/** What no refused answer may hold: the tree's names, its state, its secrets. */
function expectNothingLeaked(answer: Answer): void {
  expect(answer.text).not.toMatch(/sensor|clock|devices|readings|hunter2|SECRET|app-/)
}

describe('inspector attacks: reading without the token', () => {
  it('refuses the view, a state, the timeline, the stream, the keys of a pool and the actions, however the token is offered but right', async () => {
    const root = await tree('noauth')
    const inspector = await exposed(root)
    const key = await keyOf(inspector, 'app-noauth/clock')
    const routes = ['/api/view', `/api/state?key=${key}`, '/api/timeline', '/api/events', '/api/pools?name=carts', `/api/view?token=${TOKEN}`, `/api/events?token=${TOKEN}`]
    const wrong: Record<string, string>[] = [{}, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: `Basic ${TOKEN}` }, { Cookie: `token=${TOKEN}` }, { Cookie: 'keepsake-inspector-00000000=forged' }]
    for (const path of routes) {
      for (const headers of wrong) {
        const answer = await send(inspector.port, path, { headers })
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(401)
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
        expectNothingLeaked(answer)
      }
    }
    const kill = await send(inspector.port, '/api/actions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ action: 'kill', key }) })
    expect(kill.status).toBe(401)
    expect((whereis('clock-noauth') as AnyBranch).children()[1]).toMatchObject({ incarnation: 1 })
    // The page itself loads (it asks for the token), and says only whether a session is needed.
    expect((await send(inspector.port, '/')).status).toBe(200)
    expect(JSON.parse((await send(inspector.port, '/api/session')).text)).toEqual({ required: true, session: false })
  })

  it('streams to a session opened by a POST carrying the token: an HttpOnly, SameSite=Strict cookie, the token in no URL', async () => {
    const root = await tree('cookie')
    const inspector = await exposed(root)
    expect((await send(inspector.port, '/api/session', { method: 'POST' })).status).toBe(401)
    expect((await send(inspector.port, `/api/session?token=${TOKEN}`, { method: 'POST' })).status).toBe(401)
    const opened = await send(inspector.port, '/api/session', { method: 'POST', headers: AUTH })
    const setCookie = String(opened.headers['set-cookie'])
    expect(setCookie).toMatch(/^keepsake-inspector-[0-9a-f]{8}=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/)
    expect(setCookie).not.toContain(TOKEN)
    const cookie = setCookie.slice(0, setCookie.indexOf(';'))
    const stream = await openStream(new URL('api/events', inspector.url).href, { Cookie: cookie })
    try {
      expect((await stream.next((e) => e.event === 'view', 'the view')).data).toMatchObject({ roots: [{ path: 'app-cookie' }] })
    } finally {
      stream.close()
    }
    // Closed, the session opens nothing more.
    await send(inspector.port, '/api/session', { method: 'DELETE', headers: { Cookie: cookie } })
    expect((await send(inspector.port, '/api/view', { headers: { Cookie: cookie } })).status).toBe(401)
  })

  it('keeps a token mandatory off loopback, and the host names it answers to listed', async () => {
    await expect(startInspector({ host: '0.0.0.0', allowedHosts: ['inspector.internal'] })).rejects.toThrow(InvalidOptionError)
    await expect(startInspector({ host: '0.0.0.0', token: TOKEN })).rejects.toThrow(/Option "allowedHosts" must be set when host is not a loopback address/)
  })
})

describe('inspector attacks: DNS rebinding and other origins', () => {
  it('answers 421 to any host name but its own, on loopback and off it, token or not', async () => {
    const root = await tree('rebind')
    const open = await startInspector({ root })
    cleanups.push(() => open.close())
    const shut = await exposed(root)
    for (const inspector of [open, shut]) {
      for (const host of ['evil.example', `evil.example:${inspector.port}`, 'localhost.evil.example', '127.0.0.1.evil.example']) {
        const answer = await send(inspector.port, '/api/view', { headers: { Host: host, ...AUTH } })
        expect(answer.status, host).toBe(421)
        expectNothingLeaked(answer)
      }
    }
    expect((await send(open.port, '/api/view', { headers: { Host: `localhost:${open.port}` } })).status).toBe(200)
    expect((await send(shut.port, '/api/view', { headers: { Host: `127.0.0.1:${shut.port}`, ...AUTH } })).status).toBe(200)
    // Off loopback, loopback names are not implied: only the listed ones.
    expect((await send(shut.port, '/api/view', { headers: { Host: `localhost:${shut.port}`, ...AUTH } })).status).toBe(421)
  })

  it('refuses an action posted from another origin, session cookie and all', async () => {
    const root = await tree('csrf')
    const inspector = await exposed(root)
    const cookie = await session(inspector)
    const key = await keyOf(inspector, 'app-csrf/clock')
    const body = JSON.stringify({ action: 'kill', key })
    const forged = await send(inspector.port, '/api/actions', { method: 'POST', headers: { Cookie: cookie, Origin: 'http://evil.example', 'Content-Type': 'application/json' }, body })
    expect(forged.status).toBe(403)
    const plain = await send(inspector.port, '/api/actions', { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'text/plain' }, body })
    expect(plain.status).toBe(415)
    expect((whereis('clock-csrf') as AnyBranch).children()[1]).toMatchObject({ incarnation: 1 })
  })

  it('in Chromium: a rebound name gets 421, and a page of another site neither reads the tree nor acts with the session', async () => {
    const root = await tree('browser')
    const inspector = await exposed(root)
    // The attacker's page, on another site of this machine.
    const attacker = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end(`<!doctype html><script>
        const target = 'http://127.0.0.1:${inspector.port}'
        window.results = Promise.all([
          fetch(target + '/api/view', { credentials: 'include' }).then((r) => r.text()).catch((e) => 'blocked: ' + e),
          fetch(target + '/api/actions', { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ action: 'kill', key: location.hash.slice(1) }) }).then(() => 'sent', (e) => 'blocked: ' + e),
          new Promise((resolve) => { const s = new EventSource(target + '/api/events', { withCredentials: true }); s.onmessage = () => resolve('streamed'); s.addEventListener('view', () => resolve('streamed')); s.onerror = () => { s.close(); resolve('refused') } })
        ])
      </script>`)
    })
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => (attacker as Server).close(resolve)))
    const browser = await launchChromium([`--host-resolver-rules=MAP evil.test 127.0.0.1`])
    cleanups.push(() => browser.close())
    const page = await browser.context.newPage()
    const statuses: number[] = []
    page.on('response', (res) => {
      if (new URL(res.url()).port === String(inspector.port) && new URL(res.url()).pathname.startsWith('/api/') && !res.url().endsWith('/api/session')) statuses.push(res.status())
    })

    // The user's own session on the inspector, in this browser.
    await page.goto(`${inspector.url}#token=${TOKEN}`)
    await page.locator('#conn.live').waitFor()
    statuses.splice(0)
    const key = await keyOf(inspector, 'app-browser/clock')

    // DNS rebinding: a name the attacker controls, now resolving to the inspector's address.
    const rebound = await page.goto(`http://evil.test:${inspector.port}/`)
    expect(rebound?.status()).toBe(421)
    expect(await page.evaluate(() => fetch('/api/view').then((r) => r.status))).toBe(421)

    // Another site's page, while the user's session is open.
    await page.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/#${key}`)
    const results = await page.evaluate(() => (globalThis as unknown as { results: Promise<string[]> }).results)
    expect(results[0]).toMatch(/^blocked/)
    expect(results[2]).toBe('refused')
    expect(statuses.every((status) => [401, 403, 415, 421].includes(status))).toBe(true)
    expect((whereis('clock-browser') as AnyBranch).children()[1]).toMatchObject({ incarnation: 1 })
  })
})

describe('inspector attacks: secrets in states and crashes', () => {
  const leaky = fromTransition(
    (state: Record<string, unknown>, event: { type: 'read' } | { type: 'fail' }) => {
      if (event.type === 'fail') throw new Error(`login to postgres://app:hunter2@db failed: password=hunter2 Authorization: Bearer ${'sk-live-SECRET'}`)
      return state
    },
    {
      readings: 1,
      password: 'hunter2',
      db: { secret: 'SECRET-1', apiKey: 'SECRET-2', api_key: 'SECRET-3', privateKey: 'SECRET-4', clientToken: 'SECRET-5' },
      headers: { Authorization: 'Bearer SECRET-6', Cookie: 'sid=SECRET-7' },
      note: 'connect with token=SECRET-8'
    }
  )

  it('hides the usual secret-bearing keys by default, and overridably', async () => {
    const sup = await startSupervisor({ id: 'leaky', children: [branchSpec({ id: 'l', branch: { logic: leaky, name: 'leaky-l' } })] })
    cleanups.push(() => sup.stop())
    const inspector = await exposed(sup)
    const state = await send(inspector.port, `/api/state?key=${await keyOf(inspector, 'leaky/l')}`, { headers: AUTH })
    expect(state.status).toBe(200)
    expect(state.text).not.toMatch(/hunter2|SECRET/)
    expect(JSON.parse(state.text).state).toMatchObject({ readings: 1, password: '[redacted]', db: { secret: '[redacted]', apiKey: '[redacted]' }, note: 'connect with token=[redacted]' })

    // Overridden: the user's function decides (here: keeps the default, and hides `readings` too).
    const own = await exposed(sup, { redact: (key, value, path, id) => (key === 'readings' ? '[hidden]' : redactSecrets(key, value, path, id)) })
    const mine = JSON.parse((await send(own.port, `/api/state?key=${await keyOf(own, 'leaky/l')}`, { headers: AUTH })).text)
    expect(mine.state).toMatchObject({ readings: '[hidden]', password: '[redacted]' })
  })

  it('passes crash reasons and stacks through the same redaction, with paths relative to the working directory', async () => {
    const sup = await startSupervisor({ id: 'crashy', children: [branchSpec({ id: 'c', branch: { logic: leaky, name: 'crashy-c' } })] })
    cleanups.push(() => sup.stop())
    const inspector = await exposed(sup, { interval: 60_000 })
    const stream = await openStream(new URL('api/events', inspector.url).href, AUTH)
    try {
      await stream.next((e) => e.event === 'view', 'the first view')
      await expect(call('crashy-c', { type: 'fail' })).rejects.toThrow(/hunter2/)
      const { data } = await stream.next((e) => e.event === 'timeline', 'the crash', 2000)
      const crash = (data as TimelineEntry[]).find((e) => e.kind === 'crash')
      const text = JSON.stringify(data)
      expect(text).not.toMatch(/hunter2|SECRET/)
      expect(text).not.toContain(process.cwd())
      expect(crash?.reason?.message).toBe('login to postgres://app:[redacted]@db failed: password=[redacted] Authorization: [redacted] [redacted]')
      expect(crash?.reason?.stack).toMatch(/\(test\/inspector\/attacks\.test\.ts:\d+:\d+\)/)
      const view = await stream.next((e) => e.event === 'view' && find((e.data as View).roots, 'crashy/c').lastCrash !== undefined, 'the crashed row', 2000)
      expect(JSON.stringify(view.data)).not.toMatch(/hunter2|SECRET|\/work\//)
    } finally {
      stream.close()
    }
  })
})

describe('inspector attacks: exhausting the inspector', () => {
  it('walks the tree on its update schedule only, however many views and unknown keys are asked for', async () => {
    const root = await tree('walks')
    const inspector = await startInspector({ root, interval: 60_000 })
    cleanups.push(() => inspector.close())
    const walks = vi.spyOn(root, 'whichChildren')
    for (let i = 0; i < 25; i++) {
      await send(inspector.port, '/api/view')
      await send(inspector.port, `/api/state?key=unknown-${i}`)
    }
    // The first read after the start's walk was dropped may walk once; nothing else does.
    expect(walks.mock.calls.length).toBeLessThanOrEqual(1)
  })

  it('holds back an anonymous flood with 429s, while a session is served at once', async () => {
    const root = await tree('flood')
    const inspector = await exposed(root)
    const cookie = await session(inspector)
    const flood = await Promise.all(Array.from({ length: 90 }, () => send(inspector.port, '/api/view').then((a) => a.status, () => 'dropped')))
    const counts = flood.reduce<Record<string, number>>((c, s) => ({ ...c, [s]: (c[s] ?? 0) + 1 }), {})
    // 60 at once, and what refilled while the flood went on; the rest held back (429) or, past four held, dropped.
    expect(counts[401]).toBeGreaterThanOrEqual(60)
    expect(counts[429]).toBeGreaterThan(0)
    expect((counts[401] ?? 0) + (counts[429] ?? 0) + (counts.dropped ?? 0)).toBe(90)
    // The budget of the address is spent; the session's is its own.
    const mine = await send(inspector.port, '/api/view', { headers: { Cookie: cookie } })
    expect(mine.status).toBe(200)
  })

  it('lets no anonymous stream take a slot: 40 are refused, and the page streams', async () => {
    const root = await tree('slots')
    const inspector = await exposed(root)
    const refused = await Promise.all(Array.from({ length: 40 }, () => send(inspector.port, '/api/events')))
    expect(refused.map((a) => a.status)).toEqual(Array(40).fill(401))
    const stream = await openStream(new URL('api/events', inspector.url).href, { Cookie: await session(inspector) })
    try {
      await stream.next((e) => e.event === 'view', 'the view')
    } finally {
      stream.close()
    }
  })

  it('gives a session at most four streams (a fifth ends its oldest), and ends the oldest session past sixteen', async () => {
    const root = await tree('quota')
    const inspector = await exposed(root)
    const first = await session(inspector)
    const streams = []
    for (let i = 0; i < 5; i++) streams.push(await openStream(new URL('api/events', inspector.url).href, { Cookie: first }))
    try {
      await expect(streams[0]?.next(() => false, 'the end')).rejects.toThrow(/ended/)
      for (let i = 0; i < 16; i++) await session(inspector)
      await expect(streams[4]?.next(() => false, 'the end')).rejects.toThrow(/ended/)
      expect((await send(inspector.port, '/api/view', { headers: { Cookie: first } })).status).toBe(401)
    } finally {
      for (const stream of streams) stream.close()
    }
  })
})
