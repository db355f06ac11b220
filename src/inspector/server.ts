import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Branch } from '../supervisor/Branch'
import { liveRoots } from '../supervisor/probe'
import { perform, readAction } from './actions'
import { HttpError, readJson, SAFE_HEADERS, sendJson } from './http'
import { NodeKeys } from './keys'
import { LiveTree } from './liveTree'
import { viewOf, type ViewFilter } from './model'
import { isLoopback, readInspectorOptions, type InspectorOptions } from './options'
import { PAGE_HTML } from './page/html'
import { PAGE_SCRIPT } from './page/script'
import { PAGE_STYLE } from './page/style'
import { RedactionFailed, stateView } from './stateView'
import { tokenChecker } from './token'

/** A running inspector. */
export interface Inspector {
  /** Where the page is, e.g. `http://127.0.0.1:41234/` (add `#token=...` to enable the actions). */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Whether a token was given, so actions can be made. */
  readonly actions: boolean
  /** Ends the live streams, closes the server and stops observing. */
  close(): Promise<void>
}

const MAX_ACTION_BYTES = 4096

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const SORTS: readonly ViewFilter['sort'][] = ['start', 'rate', 'queue', 'restarts']
const STATUSES = ['', 'running', 'restarting', 'passivated', 'stopping', 'stopped', 'crashed']

/**
 * Serves a page and a live stream (server-sent events) of the supervision
 * tree under `root` (or every root of the process): supervisors and branches
 * with their status, restart counts and intensity left, each branch's message
 * rate and mailbox, the last crashes with reason and stack, a branch's state
 * (redacted, size-capped) and a timeline of crashes, restarts and transfers.
 * Loopback only unless given a `token`; the token also enables the actions.
 *
 * @example
 * const inspector = await startInspector({ root: app, port: 9000, token: process.env.INSPECTOR_TOKEN })
 * console.log(`inspector: ${inspector.url}`)
 */
export async function startInspector(options?: InspectorOptions): Promise<Inspector> {
  const config = readInspectorOptions(options)
  const checkToken = config.token === undefined ? undefined : tokenChecker(config.token)
  /** Tells a page that reconnects whether it reached the same inspector (else its timeline starts again). */
  const hello = { instance: randomUUID(), actions: checkToken !== undefined, interval: config.interval }
  const { root, node } = config
  const tree = new LiveTree({
    keys: new NodeKeys(),
    roots: () => (root ? (root.status === 'stopped' ? [] : [root]) : liveRoots()),
    cluster: () => {
      if (!node) return undefined
      const held = node.held()
      return { node: node.id, cluster: node.cluster, nodes: node.nodes(), heldCount: held.length, held: held.slice(0, 100) }
    },
    scoped: root !== undefined,
    interval: config.interval
  })

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

  const act = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!checkToken) throw new HttpError(403, 'this inspector is read-only: start it with a token to enable actions')
    if (!checkToken(req.headers.authorization)) throw new HttpError(401, 'refused: this action needs the inspector\'s token (Authorization: Bearer <token>)')
    const request = readAction(await readJson(req, MAX_ACTION_BYTES))
    const done = await perform(request, tree.walk())
    tree.flush()
    sendJson(res, 200, { ok: true, done })
  }

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (isLoopback(config.host) && !isLoopback(hostName(req.headers.host))) {
      // A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) must not read the tree.
      throw new HttpError(421, 'this inspector answers only to loopback host names')
    }
    const url = new URL(req.url ?? '/', 'http://inspector')
    const get = req.method === 'GET' || req.method === 'HEAD'
    switch (`${get ? 'GET' : req.method} ${url.pathname}`) {
      case 'GET /':
        return asset(res, 'text/html', PAGE_HTML, { 'Content-Security-Policy': PAGE_CSP })
      case 'GET /app.js':
        return asset(res, 'text/javascript', PAGE_SCRIPT)
      case 'GET /app.css':
        return asset(res, 'text/css', PAGE_STYLE)
      case 'GET /api/view':
        return sendJson(res, 200, viewOf(tree.walk(), readFilter(url.searchParams)))
      case 'GET /api/timeline':
        tree.walk()
        return sendJson(res, 200, tree.activity.since(Number(url.searchParams.get('after')) || 0))
      case 'GET /api/events':
        return tree.open(req, res, readFilter(url.searchParams), hello)
      case 'GET /api/state':
        return state(res, url)
      case 'POST /api/actions':
        return act(req, res)
      default:
        throw new HttpError(['/', '/app.js', '/app.css', '/api/view', '/api/timeline', '/api/events', '/api/state', '/api/actions'].includes(url.pathname) ? 405 : 404, 'not here')
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy()
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message })
      sendJson(res, 500, { error: 'the inspector failed on this request' })
      process.emitWarning(`keepsake inspector: ${String(error)}`)
    })
  })
  try {
    server.listen(config.port, config.host)
    await once(server, 'listening')
  } catch (error) {
    tree.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host
  let closed: Promise<void> | undefined
  return {
    url: `http://${host}:${port}/`,
    host: config.host,
    port,
    actions: hello.actions,
    close: () =>
      (closed ??= (async () => {
        tree.close()
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
