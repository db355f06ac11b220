/**
 * Where a durable keeper puts a branch's journal (its events, numbered) and
 * its newest snapshot. Every store (`MemoryStore`, `SqliteStore`,
 * `PostgresStore`) passes the same contract suite (`test/stores/contract.ts`),
 * so a keeper can rely on exactly what is written here and nothing more.
 *
 * **Ids.** A branch id is a non-empty string. A journal's sequence numbers
 * start at 1 and have no gaps. An id with neither events nor a snapshot does
 * not exist: its `lastSeq` is 0.
 *
 * **Values.** Payloads and snapshot data are stored as JSON and read back as
 * fresh objects (mutating what you wrote or read never changes the store).
 * Only what survives `JSON.stringify` / `JSON.parse` unchanged is accepted:
 * plain objects, arrays, strings, finite numbers, booleans and null. An object
 * property whose value is `undefined` is left out, as `JSON.stringify` does;
 * anything else (a Date, Map, Set, class instance, function, bigint, symbol,
 * NaN or Infinity, `undefined` in an array, a cycle) rejects the whole call
 * with `InvalidRecordError` naming where it was, before anything is written.
 *
 * **Errors.** Every method rejects (never throws synchronously) with:
 * `InvalidRecordError` for bad input (written: nothing); `JournalConflictError`
 * when an append's `expectedSeq` is not the journal's end (written: nothing);
 * `SnapshotConflictError` when a fenced snapshot write's `expectedSeq` is not
 * the kept snapshot's (written: nothing);
 * `CorruptRecordError` when a stored record can't be decoded (it names the id
 * and sequence number; the record is left as it is); `StoreUnavailableError`
 * when the database can't be reached or fails; `StoreClosedError` after
 * `close()`; and `InvalidOptionError` for bad read options.
 */
export interface KeeperStore {
  /**
   * Appends `events` to the journal of `id`, numbered `expectedSeq + 1`,
   * `expectedSeq + 2`, ..., and resolves with the journal's new last sequence
   * number. Optimistic concurrency: if the journal does not end at
   * `expectedSeq` (0 for a new journal), rejects with `JournalConflictError`.
   * All or none: when it resolves, every event is durable (as durable as the
   * store is); when it rejects, none was written (but see
   * `StoreUnavailableError` for a connection lost during the commit). An
   * empty `events` only checks `expectedSeq`.
   */
  append(id: string, events: readonly NewEvent[], expectedSeq: number): Promise<number>

  /**
   * Appends to several journals in one transaction (group commit), all or
   * none. Requests apply in order, so one id may appear twice (the second
   * `expectedSeq` is then the first's result). Resolves with each request's
   * new last sequence number, in request order. If any request conflicts,
   * rejects with the `JournalConflictError` of the first that does, and
   * nothing of the batch is written: retry the others without it.
   */
  appendBatch(requests: readonly AppendRequest[]): Promise<number[]>

  /**
   * The events of `id` with `seq >= fromSeq` (default 1), ascending by `seq`,
   * at most `limit` of them (default: all). Page through a long journal by
   * passing the last `seq` + 1 as the next `fromSeq`. An unknown id reads as
   * empty.
   */
  read(id: string, options?: ReadOptions): Promise<StoredEvent[]>

  /**
   * Optional, for recovery: the same events as `read`, only their `seq`,
   * `version` and `payload`. A store may answer it much faster than `read`
   * (the SQLite and PostgreSQL stores fetch a page as one JSON text and parse
   * it at once); a corrupt record still rejects with `CorruptRecordError`
   * naming its sequence number.
   */
  readPayloads?(id: string, options?: ReadOptions): Promise<PayloadRecord[]>

  /** The last sequence number in the journal of `id`; 0 if it has no events. */
  lastSeq(id: string): Promise<number>

  /**
   * Saves `snapshot` as the snapshot of `id`, which keeps only its newest:
   * resolves true if it was stored (its `seq` is greater than or equal to the
   * kept one's: an equal `seq` replaces, so a snapshot can be re-saved in a
   * new format), false if a snapshot with a greater `seq` is already kept
   * (then nothing changes: a late write never replaces a newer one). `seq`
   * is the journal sequence the snapshot includes; the store does not check
   * it against the journal, so a snapshot-only keeper may count on its own.
   *
   * Fencing: with `expectedSeq` (the `seq` of the snapshot this writer last
   * read or wrote, or null if it found none), the write is conditional
   * instead: it is stored (resolving true) only if the kept snapshot is still
   * that one, whatever the new `seq`; otherwise it rejects with
   * `SnapshotConflictError` and nothing changes. The check and the write are
   * one atomic step, so of two writers that read the same snapshot, one wins.
   */
  saveSnapshot(id: string, snapshot: NewSnapshot): Promise<boolean>

  /** The newest snapshot of `id`, or undefined if it has none. */
  loadSnapshot(id: string): Promise<StoredSnapshot | undefined>

  /**
   * The events carrying `tag`, across every id, in global append order
   * (`position`), starting at position `from` (default: the beginning), at
   * most `limit` (default: all). Resolves with the events and `next`, the
   * `from` to pass for the following page (it never goes back, so a reader
   * that keeps `next` sees each later event exactly once).
   */
  queryByTag(tag: string, options?: TagQueryOptions): Promise<TagPage>

  /**
   * Deletes the journal, snapshot and tags of `id`. Resolves true if there
   * was anything to delete. A later append starts a new journal at
   * `expectedSeq` 0; its events get new, higher positions.
   */
  delete(id: string): Promise<boolean>

  /** Every id that has events or a snapshot, sorted (JavaScript's default string order). */
  listIds(): Promise<string[]>

  /**
   * The snapshots whose id starts with `prefix` (default: every one), without
   * their data: id, seq, version and time, sorted by id (JavaScript's default
   * string order). The prefix is matched literally. For operators: which
   * versions of the logic wrote what is stored (see `snapshotVersions`).
   */
  listSnapshots(options?: ListSnapshotsOptions): Promise<SnapshotInfo[]>

  /**
   * Releases the store's resources (the file, the pool it made); calls
   * already running are let finish. Calling it again does nothing; any other
   * method rejects with `StoreClosedError` afterwards.
   */
  close(): Promise<void>
}

/** What the stores hand back: JSON. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** An event to append. */
export interface NewEvent {
  /** What happened, e.g. the xstate event's type. A non-empty string. */
  readonly type: string
  /** The event's data. Must be JSON (see `KeeperStore`). */
  readonly payload: unknown
  /** The payload's schema version, for event adapters: an integer >= 1. Default 1. */
  readonly version?: number
  /** Tags to find the event by (`queryByTag`); duplicates are dropped. Default none. */
  readonly tags?: readonly string[]
  /** When it happened, in ms since the epoch. Default: `Date.now()` at the append. */
  readonly at?: number
}

/** An event as stored. */
export interface StoredEvent {
  /** The branch id whose journal holds it. */
  readonly id: string
  /** Its sequence number in that journal, from 1, without gaps. */
  readonly seq: number
  /**
   * Its place in the store's global append order: unique, increasing in
   * commit order across every id, never reused (there may be gaps).
   */
  readonly position: number
  readonly type: string
  readonly payload: JsonValue
  readonly version: number
  readonly tags: readonly string[]
  readonly at: number
}

/** What `readPayloads` returns of an event. */
export interface PayloadRecord {
  readonly seq: number
  readonly version: number
  readonly payload: JsonValue
}

/** One journal's part of `appendBatch`. */
export interface AppendRequest {
  readonly id: string
  /** The sequence number the journal must end at (0 for a new one). */
  readonly expectedSeq: number
  readonly events: readonly NewEvent[]
}

/** Which events `read` returns. */
export interface ReadOptions {
  /** The first sequence number to return (inclusive), an integer >= 1. Default 1. */
  readonly fromSeq?: number
  /** At most this many events, an integer >= 0. Default: all. */
  readonly limit?: number
}

/** A snapshot to save. */
export interface NewSnapshot {
  /** The last journal sequence number folded into `data`, an integer >= 0. */
  readonly seq: number
  /** The state. Must be JSON (see `KeeperStore`). */
  readonly data: unknown
  /** The data's schema version, an integer >= 1. Default 1. */
  readonly version?: number
  /** When it was taken, in ms since the epoch. Default: `Date.now()` at the save. */
  readonly at?: number
  /**
   * Makes the write conditional (see `KeeperStore.saveSnapshot`): the `seq` of
   * the snapshot the writer last read or wrote, or null if it found none.
   * Default: unconditional (kept if its `seq` is not older).
   */
  readonly expectedSeq?: number | null
}

/** A snapshot as stored. */
export interface StoredSnapshot {
  readonly id: string
  readonly seq: number
  readonly data: JsonValue
  readonly version: number
  readonly at: number
}

/** A stored snapshot without its data (`listSnapshots`). */
export type SnapshotInfo = Omit<StoredSnapshot, 'data'>

/** Which snapshots `listSnapshots` returns. */
export interface ListSnapshotsOptions {
  /** Only ids starting with it (a pool's records: `'<pool id>/'`). Default: every id. */
  readonly prefix?: string
}

/** Which events `queryByTag` returns. */
export interface TagQueryOptions {
  /** The first global position to return (inclusive): a page's `next`. Default 0. */
  readonly from?: number
  /** At most this many events, an integer >= 0. Default: all. */
  readonly limit?: number
}

/** A page of `queryByTag`. */
export interface TagPage {
  /** The tagged events, ascending by `position`. */
  readonly events: StoredEvent[]
  /** The `from` for the next page: the last event's position + 1 (or the `from` asked, if none). */
  readonly next: number
}
