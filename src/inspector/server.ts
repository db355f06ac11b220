import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Branch } from '../supervisor/Branch'
import { liveRoots } from '../supervisor/observe'
import { Access } from './access'
import { perform, readAction } from './actions'
import { Admission } from './admission'
import { HttpError, readJson, SAFE_HEADERS, sendJson } from './http'
import { NodeKeys } from './keys'
import { LiveTree } from './liveTree'
import { viewOf, type ViewFilter } from './model'
import { bare, isLoopback, isWildcard, readInspectorOptions, type InspectorOptions } from './options'
import { PAGE_HTML } from './page/html'
import { PAGE_SCRIPT } from './page/script'
import { PAGE_STYLE } from './page/style'
import { MAX_POOL_KEYS, poolSummaries, redactCensus } from './poolView'
import { reasonShower } from './redaction'
import { RedactionFailed, stateView } from './stateView'

/** A running inspector. */
export interface Inspector {
  /** Where the page is, e.g. `http://127.0.0.1:41234/` (add `#token=...` to open it with the token). */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Whether a token was given: everything but the page needs it, and the actions are enabled. */
  readonly actions: boolean
  /** Ends the live streams, closes the server and stops observing. */
  close(): Promise<void>
}

const MAX_ACTION_BYTES = 4096

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const SORTS: readonly ViewFilter['sort'][] = ['start', 'rate', 'queue', 'restarts']
const STATUSES = ['', 'running', 'restarting', 'passivated', 'stopping', 'stopped', 'crashed']
const ROUTES = ['/', '/app.js', '/app.css', '/api/session', '/api/view', '/api/timeline', '/api/events', '/api/state', '/api/pools', '/api/actions']

/**
 * Serves a page and a live stream (server-sent events) of the supervision
 * tree under `root` (or every root of the process): supervisors and branches
 * with their status, restart counts and intensity left, each branch's message
 * rate and mailbox, the last crashes with reason and stack, a branch's state
 * (redacted, size-capped) and a timeline of crashes, restarts and transfers;
 * on a cluster node, its cluster pools across the nodes.
 * Loopback only and read-only unless given a `token`, which then guards
 * everything but the page itself, and enables the actions.
 *
 * @example
 * const inspector = await startInspector({ root: app, port: 9000, token: process.env.INSPECTOR_TOKEN })
 * console.log(`inspector: ${inspector.url}`)
 */
export async function startInspector(options?: InspectorOptions): Promise<Inspector> {
  const config = readInspectorOptions(options)
  /** Tells a page that reconnects whether it reached the same inspector (else its timeline starts again). */
  const hello = { instance: randomUUID(), actions: config.token !== undefined, interval: config.interval }
  const { root, node } = config
  const tree = new LiveTree({
    keys: new NodeKeys(),
    roots: () => (root ? (root.status === 'stopped' ? [] : [root]) : liveRoots()),
    cluster: () => {
      if (!node) return undefined
      const held = node.held()
      const pools = poolSummaries(node)
      return { node: node.id, cluster: node.cluster, nodes: node.nodes(), heldCount: held.length, held: held.slice(0, 100), ...(pools.length > 0 ? { pools } : {}) }
    },
    scoped: root !== undefined,
    interval: config.interval,
    showReason: reasonShower(config.redact, process.cwd())
  })
  const access = new Access(config.token, `keepsake-inspector-${hello.instance.slice(0, 8)}`, (client) => tree.endOwner(client))
  const admission = new Admission()
  const hosts = new Set(config.allowedHosts)
  const loopback = isLoopback(config.host)

  /** Refuses a request without the token when one is configured. */
  const need = (client: string | undefined): void => {
    if (access.required && client === undefined) {
      throw new HttpError(401, "refused: this needs the inspector's token (Authorization: Bearer <token>, or the session the page opens with it)")
    }
  }

  const state = (res: ServerResponse, url: URL): void => {
    const key = url.searchParams.get('key') ?? ''
    const entry = tree.find(key)
    const branch = entry?.object
    if (!entry || !(branch instanceof Branch)) throw new HttpError(404, `no branch with key ${JSON.stringify(key)} in the tree`)
    try {
      const view = stateView(branch.state(), branch.id, config.redact, config.stateLimits)
      sendJson(res, 200, { key, id: entry.node.id, path: entry.node.path, status: branch.status, ...view })
    } catch (error) {
      if (error instanceof RedactionFailed) throw new HttpError(500, `${error.message}; nothing of the state was sent`)
      throw error
    }
  }

  /** A cluster pool's keys by node, from its placement records (read-only, redacted). */
  const pools = async (res: ServerResponse, url: URL): Promise<void> => {
    const name = url.searchParams.get('name') ?? ''
    const limit = Number(url.searchParams.get('limit') ?? 1000)
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_POOL_KEYS) throw new HttpError(400, `"limit" must be an integer from 0 to ${MAX_POOL_KEYS}`)
    const known = node?.poolNames?.() ?? []
    if (!node?.pool || !known.includes(name)) {
      throw new HttpError(404, `no cluster pool ${JSON.stringify(name)} on this node (it has: ${known.length ? known.join(', ') : 'none'})`)
    }
    try {
      sendJson(res, 200, redactCensus(await node.pool(name).census({ limit }), config.redact))
    } catch (error) {
      if (error instanceof RedactionFailed) throw new HttpError(500, `${error.message}; nothing of the pool was sent`)
      throw error
    }
  }

  const act = async (req: IncomingMessage, res: ServerResponse, client: string | undefined): Promise<void> => {
    if (!access.required) throw new HttpError(403, 'this inspector is read-only: start it with a token to enable actions')
    need(client)
    const request = readAction(await readJson(req, MAX_ACTION_BYTES))
    const done = await perform(request, tree.model())
    tree.flush()
    sendJson(res, 200, { ok: true, done })
  }

  const session = (req: IncomingMessage, res: ServerResponse, client: string | undefined): void => {
    if (req.method === 'GET') return sendJson(res, 200, { required: access.required, session: client !== undefined })
    if (req.method === 'DELETE') return sendJson(res, 200, { ok: true }, { 'Set-Cookie': access.close(req) })
    if (!access.required) throw new HttpError(403, 'this inspector has no token: there is no session to open')
    if (client !== 'bearer') throw new HttpError(401, 'refused: open a session with the inspector\'s token (Authorization: Bearer <token>)')
    sendJson(res, 200, { ok: true }, { 'Set-Cookie': access.open() })
  }

  const route = async (req: IncomingMessage, res: ServerResponse, client: string | undefined): Promise<void> => {
    const name = bare(hostName(req.headers.host))
    if (!hosts.has(name) && !(loopback && isLoopback(name))) {
      // A page on another site that resolves its name to this address (DNS rebinding) must not reach the inspector.
      throw new HttpError(421, 'this inspector does not answer to that host name (see the allowedHosts option)')
    }
    const get = req.method === 'GET' || req.method === 'HEAD'
    if (!get && req.headers.origin !== undefined && req.headers.origin !== `http://${req.headers.host ?? ''}`) {
      throw new HttpError(403, 'refused: a request from another origin')
    }
    const url = new URL(req.url ?? '/', 'http://inspector')
    switch (`${get ? 'GET' : req.method} ${url.pathname}`) {
      case 'GET /':
        return asset(res, 'text/html', PAGE_HTML, { 'Content-Security-Policy': PAGE_CSP })
      case 'GET /app.js':
        return asset(res, 'text/javascript', PAGE_SCRIPT)
      case 'GET /app.css':
        return asset(res, 'text/css', PAGE_STYLE)
      case 'GET /api/session':
      case 'POST /api/session':
      case 'DELETE /api/session':
        return session(req, res, client)
      case 'GET /api/view':
        need(client)
        return sendJson(res, 200, viewOf(tree.model(), readFilter(url.searchParams)))
      case 'GET /api/timeline':
        need(client)
        tree.model()
        return sendJson(res, 200, tree.activity.since(Number(url.searchParams.get('after')) || 0))
      case 'GET /api/events':
        need(client)
        return tree.open(req, res, readFilter(url.searchParams), hello, client)
      case 'GET /api/state':
        need(client)
        return state(res, url)
      case 'GET /api/pools':
        need(client)
        return pools(res, url)
      case 'POST /api/actions':
        return act(req, res, client)
      default:
        throw new HttpError(ROUTES.includes(url.pathname) ? 405 : 404, 'not here')
    }
  }

  const server = createServer((req, res) => {
    const client = access.identify(req)
    if (!admission.admit(req, res, client)) return
    route(req, res, client).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy()
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message })
      sendJson(res, 500, { error: 'the inspector failed on this request' })
      process.emitWarning(`keepsake inspector: ${String(error)}`)
    })
  })
  // A client that sends its request slowly (or never) holds a connection for no longer than this.
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  try {
    server.listen(config.port, config.host)
    await once(server, 'listening')
  } catch (error) {
    tree.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  const shown = isWildcard(config.host) ? (config.allowedHosts[0] as string) : bare(config.host)
  let closed: Promise<void> | undefined
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`,
    host: config.host,
    port,
    actions: hello.actions,
    close: () =>
      (closed ??= (async () => {
        tree.close()
        admission.close()
        const done = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeAllConnections()
        await done
      })())
  }
}

function asset(res: ServerResponse, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...SAFE_HEADERS, ...headers, 'Content-Type': `${type}; charset=utf-8`, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

/** A Host header's name, without its port. */
function hostName(header: string | undefined): string {
  if (!header) return ''
  const bracketed = /^\[([^\]]+)\]/.exec(header)
  return bracketed ? (bracketed[1] as string) : header.replace(/:\d+$/, '')
}

function readFilter(params: URLSearchParams): ViewFilter {
  const sort = params.get('sort') ?? 'start'
  const status = params.get('status') ?? ''
  const limit = Number(params.get('limit') ?? 100)
  if (!(SORTS as readonly string[]).includes(sort)) throw new HttpError(400, `"sort" must be one of ${SORTS.join(', ')}`)
  if (!STATUSES.includes(status)) throw new HttpError(400, `"status" must be one of ${STATUSES.filter(Boolean).join(', ')}`)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, '"limit" must be an integer from 1 to 1000')
  return { q: (params.get('q') ?? '').slice(0, 200), status, sort: sort as ViewFilter['sort'], limit }
}
