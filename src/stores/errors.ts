import { KeepsakeError, describe, describeCause } from '../shared/errors'

/**
 * The errors a `KeeperStore` rejects with. Every store raises the same ones, so
 * a keeper can tell "someone else wrote first" (retryable after a re-read) from
 * "the store is down" (retryable later) from "this data can't be stored" or
 * "the stored data is damaged" (not retryable).
 */

/**
 * An append expected the journal to end at `expected` but it ends at `actual`:
 * another writer appended (or deleted) first. Nothing of the append, or of its
 * batch, was written.
 */
export class JournalConflictError extends KeepsakeError {
  /** The branch id whose journal did not match. */
  readonly id: string
  /** The sequence number the append expected the journal to end at. */
  readonly expected: number
  /** The sequence number the journal actually ends at. */
  readonly actual: number

  constructor(id: string, expected: number, actual: number) {
    super(
      'JOURNAL_CONFLICT',
      `The journal of "${id}" ends at sequence ${actual}, but the append expected ${expected}: ` +
        `another writer got there first. Nothing was written. Re-read the journal (lastSeq) and ` +
        `decide whether to append again; two live keepers for one id is a bug.`
    )
    this.id = id
    this.expected = expected
    this.actual = actual
  }
}

/**
 * A fenced snapshot write (`saveSnapshot` with `expectedSeq`) found another
 * snapshot kept than the one its writer last read or wrote: another writer
 * saved (or deleted) first. Nothing was written; the newer state stays.
 */
export class SnapshotConflictError extends KeepsakeError {
  /** The branch id whose snapshot did not match. */
  readonly id: string
  /** The `seq` of the snapshot the write expected to replace (null: none). */
  readonly expected: number | null
  /** The `seq` of the snapshot kept (null: none). */
  readonly actual: number | null

  constructor(id: string, expected: number | null, actual: number | null) {
    const name = (seq: number | null) => (seq === null ? 'no snapshot' : `the snapshot at sequence ${seq}`)
    super(
      'SNAPSHOT_CONFLICT',
      `The store keeps ${name(actual)} for "${id}", but the write expected ${name(expected)}: another ` +
        `writer got there first. Nothing was written. Read the snapshot again (loadSnapshot) before ` +
        `writing; two live keepers for one id is a bug.`
    )
    this.id = id
    this.expected = expected
    this.actual = actual
  }
}

/**
 * A stored event or snapshot could not be decoded (damaged or truncated bytes,
 * a field of the wrong type). `cause` holds the decoding error. The record is
 * left as it is: nothing is dropped or overwritten.
 */
export class CorruptRecordError extends KeepsakeError {
  /** The branch id the record belongs to. */
  readonly id: string
  /** The record's sequence number (for a snapshot: the sequence it was taken at). */
  readonly seq: number
  /** Which kind of record is damaged. */
  readonly record: 'event' | 'snapshot'

  constructor(id: string, seq: number, record: 'event' | 'snapshot', cause: unknown) {
    super(
      'CORRUPT_RECORD',
      `The stored ${record} of "${id}" at sequence ${seq} is corrupt (${describeCause(cause)}). ` +
        `It was left untouched; restore it from a backup, or delete the branch's data to start it ` +
        `afresh.`,
      { cause }
    )
    this.id = id
    this.seq = seq
    this.record = record
  }
}

/**
 * The store could not be reached or failed while doing `operation` (a lost
 * connection, a server that is down, a disk error). `cause` holds the driver's
 * error. The operation may be retried once the store is back; a write that
 * failed this way during its commit may or may not have been stored, which
 * `lastSeq` tells (and the append's `expectedSeq` makes a blind retry safe: it
 * fails with `JournalConflictError` instead of writing twice).
 */
export class StoreUnavailableError extends KeepsakeError {
  /** The store's name, e.g. `PostgresStore`. */
  readonly store: string
  /** The operation that failed, e.g. `append`. */
  readonly operation: string

  constructor(store: string, operation: string, cause: unknown) {
    super(
      'STORE_UNAVAILABLE',
      `${store} failed during ${operation} (${describeCause(cause)}). Check that the database is ` +
        `running and reachable, then retry; acknowledged writes are kept.`,
      { cause }
    )
    this.store = store
    this.operation = operation
  }
}

/**
 * Optional peer dependencies of keepsake could not be loaded: a store's driver
 * (`better-sqlite3`, `pg`), or what a subpath needs (`keepsake/cluster`: the
 * NATS client; `keepsake/telemetry`: `@opentelemetry/api`). Names every one
 * missing, so one `npm install` fixes it.
 */
export class MissingDriverError extends KeepsakeError {
  /** What needs them: a store's name (e.g. `SqliteStore`) or a subpath (e.g. `keepsake/cluster`). */
  readonly store: string
  /** The first npm package missing, e.g. `better-sqlite3`. */
  readonly packageName: string
  /** Every npm package missing. */
  readonly packageNames: readonly string[]

  /** `cause`: the loading error (an `AggregateError` of them when several packages are missing). */
  constructor(store: string, packageNames: string | readonly string[], cause: unknown) {
    const names = typeof packageNames === 'string' ? [packageNames] : [...packageNames]
    const quoted = names.map((name) => `"${name}"`).join(', ')
    super(
      'MISSING_DRIVER',
      `${store} needs the ${names.length > 1 ? `packages ${quoted}, which` : `package ${quoted}, which`} could not be loaded ` +
        `(${describeCause(cause)}). Install ${names.length > 1 ? 'them' : 'it'} beside keepsake (npm install ${names.join(' ')}), ` +
        `built for this Node version${store.startsWith('keepsake/') ? '' : ', or use another store'}.`,
      { cause }
    )
    this.store = store
    this.packageName = names[0] as string
    this.packageNames = names
  }
}

/** A store was used after `close()`. */
export class StoreClosedError extends KeepsakeError {
  /** The store's name, e.g. `SqliteStore`. */
  readonly store: string

  constructor(store: string, operation: string) {
    super(
      'STORE_CLOSED',
      `${store} is closed; ${operation} can't run. Open a new store (or close it only after its ` +
        `last use).`
    )
    this.store = store
  }
}

/**
 * A record can't be stored: a value is not plain JSON (see `KeeperStore`), or
 * an id, sequence number, version, tag or time has the wrong type. Raised
 * before anything is written.
 */
export class InvalidRecordError extends KeepsakeError {
  /** Where the bad value is, e.g. `events[2].payload.when` or `expectedSeq`. */
  readonly path: string

  /** `cause`: what reading or preparing the value threw, when that is what went wrong. */
  constructor(path: string, expected: string, got: unknown, cause?: unknown) {
    super(
      'INVALID_RECORD',
      `Can't store ${path}: expected ${expected}, got ${describeValue(got)}` +
        `${cause === undefined ? '' : ` (${describeCause(cause)})`}. Nothing was written. ` +
        `Convert it first (for example a Date to its ISO string, a Map to an object).`,
      cause === undefined ? undefined : { cause }
    )
    this.path = path
  }
}

function describeValue(value: unknown): string {
  try {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name
      if (typeof name === 'string' && name !== 'Object') return `a ${name}`
    }
  } catch {
    // A proxy whose traps throw: describe() says what it can.
  }
  return describe(value)
}
