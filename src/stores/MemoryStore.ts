import { byId, decodeEvent, decodeSnapshot, decodeSnapshotInfo, decodeTagPage, payloadOf, type EventRow, type SnapshotRow } from './codec'
import type {
  AppendRequest,
  KeeperStore,
  ListSnapshotsOptions,
  NewEvent,
  NewSnapshot,
  PayloadRecord,
  ReadOptions,
  StoredEvent,
  SnapshotInfo,
  StoredSnapshot,
  TagPage,
  TagQueryOptions
} from './KeeperStore'
import { admitSnapshot, checkName, encodeAppend, encodeBatch, encodeSnapshot, guard, planAppends, readPrefix, readRange, type EncodedRequest } from './requests'

const NAME = 'MemoryStore'

/**
 * The default store: journals and snapshots in this process's memory. They
 * survive a worker's crashes, not the process. Values are kept as JSON text
 * and decoded on every read, exactly as the durable stores do, so code that
 * works on `MemoryStore` behaves the same on `SqliteStore` or `PostgresStore`
 * (a value they would reject or change, this one rejects too).
 */
export class MemoryStore implements KeeperStore {
  /** Each id's journal; the event with sequence number `seq` is at index `seq - 1`. */
  readonly #journals = new Map<string, EventRow[]>()
  readonly #snapshots = new Map<string, SnapshotRow>()
  /** Each tag's events, ascending by position (appends only ever add higher positions). */
  readonly #tagged = new Map<string, EventRow[]>()
  /** The tags each id's events carry, so `delete` knows which lists to clean. */
  readonly #tagsOf = new Map<string, Set<string>>()
  #position = 0
  #closed = false

  /** See `KeeperStore.append`. */
  append(id: string, events: readonly NewEvent[], expectedSeq: number): Promise<number> {
    return guard(NAME, 'append', this.#closed, () => this.#write([encodeAppend(id, events, expectedSeq, Date.now())])[0]!)
  }

  /** See `KeeperStore.appendBatch`. */
  appendBatch(requests: readonly AppendRequest[]): Promise<number[]> {
    return guard(NAME, 'appendBatch', this.#closed, () => this.#write(encodeBatch(requests, Date.now())))
  }

  /** See `KeeperStore.read`. */
  read(id: string, options?: ReadOptions): Promise<StoredEvent[]> {
    return guard(NAME, 'read', this.#closed, () => this.#read(id, options, 'read'))
  }

  /** See `KeeperStore.readPayloads`. */
  readPayloads(id: string, options?: ReadOptions): Promise<PayloadRecord[]> {
    return guard(NAME, 'readPayloads', this.#closed, () => this.#read(id, options, 'readPayloads').map(payloadOf))
  }

  /** See `KeeperStore.lastSeq`. */
  lastSeq(id: string): Promise<number> {
    return guard(NAME, 'lastSeq', this.#closed, () => this.#lastSeq(checkName(id, 'id')))
  }

  /** See `KeeperStore.saveSnapshot`. */
  saveSnapshot(id: string, snapshot: NewSnapshot): Promise<boolean> {
    return guard(NAME, 'saveSnapshot', this.#closed, () => {
      checkName(id, 'id')
      const s = encodeSnapshot(snapshot, Date.now())
      if (!admitSnapshot(id, s, this.#snapshots.get(id)?.seq as number | undefined)) return false
      this.#snapshots.set(id, { id, seq: s.seq, data: s.data, version: s.version, at: s.at })
      return true
    })
  }

  /** See `KeeperStore.loadSnapshot`. */
  loadSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    return guard(NAME, 'loadSnapshot', this.#closed, () => {
      const row = this.#snapshots.get(checkName(id, 'id'))
      return row === undefined ? undefined : decodeSnapshot(row)
    })
  }

  /** See `KeeperStore.queryByTag`. */
  queryByTag(tag: string, options?: TagQueryOptions): Promise<TagPage> {
    return guard(NAME, 'queryByTag', this.#closed, () => {
      checkName(tag, 'tag')
      const { start, limit } = readRange(options, 'queryByTag', 'from', 0)
      const rows = this.#tagged.get(tag) ?? []
      const first = firstAtOrAfter(rows, start)
      return decodeTagPage(rows.slice(first, limit === undefined ? undefined : first + limit), start)
    })
  }

  /** See `KeeperStore.delete`. */
  delete(id: string): Promise<boolean> {
    return guard(NAME, 'delete', this.#closed, () => {
      checkName(id, 'id')
      for (const tag of this.#tagsOf.get(id) ?? []) {
        const rest = this.#tagged.get(tag)!.filter((row) => row[1] !== id)
        if (rest.length === 0) this.#tagged.delete(tag)
        else this.#tagged.set(tag, rest)
      }
      this.#tagsOf.delete(id)
      const hadJournal = this.#journals.delete(id)
      return this.#snapshots.delete(id) || hadJournal
    })
  }

  /** See `KeeperStore.listIds`. */
  listIds(): Promise<string[]> {
    return guard(NAME, 'listIds', this.#closed, () => [...new Set([...this.#journals.keys(), ...this.#snapshots.keys()])].sort())
  }

  /** See `KeeperStore.listSnapshots`. */
  listSnapshots(options?: ListSnapshotsOptions): Promise<SnapshotInfo[]> {
    return guard(NAME, 'listSnapshots', this.#closed, () => {
      const prefix = readPrefix(options)
      const rows = [...this.#snapshots.values()].filter((row) => row.id.startsWith(prefix))
      return rows.map((row) => decodeSnapshotInfo(row)).sort(byId)
    })
  }

  /** See `KeeperStore.close`. Drops everything it held. */
  async close(): Promise<void> {
    this.#closed = true
    this.#journals.clear()
    this.#snapshots.clear()
    this.#tagged.clear()
    this.#tagsOf.clear()
  }

  /** `operation` names the call in its errors, as the other stores do. */
  #read(id: string, options: ReadOptions | undefined, operation: string): StoredEvent[] {
    checkName(id, 'id')
    const { start, limit } = readRange(options, operation, 'fromSeq', 1)
    const journal = this.#journals.get(id) ?? []
    return journal.slice(start - 1, limit === undefined ? undefined : start - 1 + limit).map(decodeEvent)
  }

  #lastSeq(id: string): number {
    return this.#journals.get(id)?.length ?? 0
  }

  /** Checks the whole batch first, then applies it: nothing is written if any request conflicts. */
  #write(requests: readonly EncodedRequest[]): number[] {
    const plan = planAppends(requests, (id) => this.#lastSeq(id))
    for (const { id, firstSeq, events } of plan.appends) {
      let journal = this.#journals.get(id)
      if (journal === undefined) this.#journals.set(id, (journal = []))
      events.forEach((e, i) => {
        const row: EventRow = [++this.#position, id, firstSeq + i, e.type, e.payload, e.version, e.tagsJson, e.at]
        journal.push(row)
        for (const tag of e.tags) {
          let rows = this.#tagged.get(tag)
          if (rows === undefined) this.#tagged.set(tag, (rows = []))
          rows.push(row)
          let tags = this.#tagsOf.get(id)
          if (tags === undefined) this.#tagsOf.set(id, (tags = new Set()))
          tags.add(tag)
        }
      })
    }
    return plan.lastSeqs
  }
}

/** The index of the first row whose position is >= `position` (binary search). */
function firstAtOrAfter(rows: readonly EventRow[], position: number): number {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((rows[mid]![0] as number) < position) lo = mid + 1
    else hi = mid
  }
  return lo
}
