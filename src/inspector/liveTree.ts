import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ReasonRecord } from '../reports/reason'
import type { AnyBranch } from '../supervisor/Branch'
import type { Supervisor } from '../supervisor/Supervisor'
import { Activity } from './activity'
import { HttpError, SAFE_HEADERS } from './http'
import type { NodeKeys } from './keys'
import { buildModel, viewOf, type ClusterView, type Entry, type Model, type ViewFilter } from './model'

const MAX_CLIENTS = 32
/** Streams one session may hold: a new one ends its oldest (a page that reloads never waits for its old stream to close). */
const MAX_PER_OWNER = 4
/**
 * Crashes and restarts are sent at once, but no more than one update every
 * this many ms, nor more often than ten times the last walk took (a crash
 * storm in a big tree costs the process a tenth of a core at most).
 */
const MIN_GAP = 100

interface Client {
  readonly res: ServerResponse
  /** The session it streams for, when the inspector has a token. */
  readonly owner: string | undefined
  readonly filter: ViewFilter
  /** The last timeline entry it was sent. */
  seq: number
}

/** Where a live tree's nodes come from. */
export interface TreeSource {
  readonly keys: NodeKeys
  /** The roots to walk now. */
  readonly roots: () => readonly (Supervisor | AnyBranch)[]
  readonly cluster: () => ClusterView | undefined
  /** True when the inspector shows one tree, not the whole process: events elsewhere stay out of the timeline. */
  readonly scoped: boolean
  /** ms between updates. */
  readonly interval: number
  /** What a crash reason is shown as (redacted, paths relative). */
  readonly showReason: (reason: unknown, subject: string) => ReasonRecord
}

/**
 * The tree as the inspector sees it: walked at each update (every `interval`
 * ms, and soon after a crash) while a page streams it or a request read it
 * since the last update, and pushed to every page streaming it, each cut to
 * its own filter. Requests read the last walk: however many there are, they
 * cost no walk of their own (but the first after a quiet spell).
 */
export class LiveTree {
  readonly activity: Activity
  readonly #source: TreeSource
  readonly #clients = new Set<Client>()
  readonly #ticker: ReturnType<typeof setInterval>
  #last: Model | undefined
  /** A request read the model since the last update: keep walking. */
  #read = false
  #lastFlush = 0
  #lastWalk = 0
  #soon: ReturnType<typeof setTimeout> | undefined

  constructor(source: TreeSource) {
    this.#source = source
    this.activity = new Activity(source.keys, Date.now, () => this.#schedule(), source.showReason)
    this.#ticker = setInterval(() => this.flush(), source.interval)
    this.#ticker.unref()
    this.walk() // the first walk: what is in the tree now is in scope from the start
  }

  /** Walks the tree, then lets into the timeline the events of nodes in this walk or the one before (one that stopped since). */
  walk(): Model {
    const previous = this.#last
    const { keys, roots, cluster, scoped } = this.#source
    const current = buildModel(roots(), keys, this.activity, Date.now(), cluster())
    this.#last = current
    this.activity.drain(scoped ? (key) => current.index.has(key) || previous?.index.has(key) === true : () => true)
    return current
  }

  /** The last update's model (walked now only when there is none: nobody watched). */
  model(): Model {
    this.#read = true
    return this.#last ?? this.walk()
  }

  /** The node with `key` in the last update. */
  find(key: string): Entry | undefined {
    return this.model().index.get(key)
  }

  /**
   * Streams the tree to a page: `hello`, then the timeline it has not seen and
   * the view, at every update. An `owner` (a session) holds at most four
   * streams: a fifth ends its oldest.
   */
  open(req: IncomingMessage, res: ServerResponse, filter: ViewFilter, hello: unknown, owner: string | undefined): void {
    const own = owner === undefined ? [] : [...this.#clients].filter((c) => c.owner === owner)
    if (own.length >= MAX_PER_OWNER) this.#end(own[0] as Client)
    else if (this.#clients.size >= MAX_CLIENTS) throw new HttpError(503, `at most ${MAX_CLIENTS} pages at once`)
    const client: Client = { res, owner, filter, seq: 0 }
    res.writeHead(200, { ...SAFE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' })
    res.write('retry: 1000\n\n')
    res.write(event('hello', hello))
    this.#clients.add(client)
    req.once('close', () => this.#clients.delete(client))
    this.#push(client, this.#last ?? this.walk())
  }

  /** Ends the streams of `owner` (its session ended). */
  endOwner(owner: string): void {
    for (const client of this.#clients) if (client.owner === owner) this.#end(client)
  }

  /** Updates every page now. */
  flush(): void {
    if (this.#soon !== undefined) clearTimeout(this.#soon)
    this.#soon = undefined
    this.#lastFlush = Date.now()
    const read = this.#read
    this.#read = false
    if (this.#clients.size === 0 && !read) {
      // Nobody watching: hold no stopped branch or supervisor until someone does.
      this.#last = undefined
      return
    }
    const current = this.walk()
    for (const client of this.#clients) this.#push(client, current)
    this.#lastWalk = Date.now() - this.#lastFlush
  }

  /** Ends the streams and stops observing. */
  close(): void {
    this.activity.close()
    clearInterval(this.#ticker)
    if (this.#soon !== undefined) clearTimeout(this.#soon)
    for (const { res } of this.#clients) res.end()
    this.#clients.clear()
  }

  #end(client: Client): void {
    this.#clients.delete(client)
    client.res.end()
  }

  #schedule(): void {
    if (this.#soon !== undefined || (this.#clients.size === 0 && this.#last === undefined)) return
    const gap = Math.max(MIN_GAP, 10 * this.#lastWalk)
    this.#soon = setTimeout(() => this.flush(), Math.max(0, gap - (Date.now() - this.#lastFlush)))
    this.#soon.unref()
  }

  /** Sends a page what it has not seen of the timeline, then the view; a page still draining the last one waits for the next. */
  #push(client: Client, current: Model): void {
    if (client.res.writableNeedDrain) return
    const entries = this.activity.since(client.seq)
    client.seq = this.activity.seq
    if (entries.length > 0) client.res.write(event('timeline', entries))
    client.res.write(event('view', viewOf(current, client.filter)))
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
}
