import { CorruptRecordError, InvalidRecordError } from './errors'
import type { JsonValue, PayloadRecord, SnapshotInfo, StoredEvent, StoredSnapshot, TagPage } from './KeeperStore'

/**
 * The one place where values become stored text and stored rows become
 * records, shared by every store so they all accept, reject and decode alike.
 */

/**
 * A stored event as the stores select it: an array in `EVENT_COLUMNS` order
 * (better-sqlite3's raw mode, node-postgres's rowMode 'array'), because
 * building a keyed object per row costs as much as the query itself when a
 * long journal is replayed. JSON columns are text; numbers come as the driver
 * hands them (node-postgres gives int8 as a string).
 */
export type EventRow = readonly [
  position: number | string,
  id: string,
  seq: number | string,
  type: unknown,
  payload: unknown,
  version: unknown,
  tags: unknown,
  at: unknown
]

/**
 * The most JSON text one record (an event, a snapshot) may hold: 16 MiB of
 * characters. A bigger value is refused when written (`InvalidRecordError`)
 * and, found in a store, is reported as corrupt instead of parsed
 * (`CorruptRecordError`), so a hostile or damaged row can't exhaust memory.
 */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024

/** The columns of an `EventRow`, in order, for a SELECT. */
export const EVENT_COLUMNS = 'position, id, seq, type, payload, version, tags, at'

/** A stored snapshot as a database row. */
export interface SnapshotRow {
  readonly id: string
  readonly seq: number | string
  readonly data: unknown
  readonly version: unknown
  readonly at: unknown
}

/**
 * How deeply a record's JSON may nest: 1,000 levels. A deeper value is
 * refused when written (`InvalidRecordError`): JSON.stringify, JSON.parse on
 * other platforms and xstate's own walks of a context recurse, and a few
 * thousand levels exhaust their call stack.
 */
export const MAX_RECORD_DEPTH = 1000

/**
 * Checks that `value` is plain JSON that round-trips exactly (see
 * `KeeperStore`), nested at most {@link MAX_RECORD_DEPTH} levels, and returns
 * its JSON text; throws `InvalidRecordError` naming the offending path (e.g.
 * `events[0].payload.when`) otherwise, also when reading it throws (a getter,
 * a proxy trap).
 */
export function encodeJson(value: unknown, path: string): string {
  let json: string
  try {
    if (!isFlatJson(value)) checkJson(value, path)
    // A getter may answer differently the second time: what it answers is checked again here.
    json = JSON.stringify(value)
  } catch (error) {
    if (error instanceof InvalidRecordError) throw error
    throw new InvalidRecordError(path, 'a value that can be read and written as JSON', value, error)
  }
  if (json.length > MAX_RECORD_CHARS) throw new InvalidRecordError(path, `at most ${MAX_RECORD_CHARS} characters of JSON`, json)
  return json
}

/**
 * True for what most records are, checked without allocating: JSON's
 * scalars, or a plain object whose own values all are (an event like
 * `{ type: 'inc', by: 2 }`). Anything else, or anything doubtful (an
 * inherited key, a number that is not finite), takes {@link checkJson}'s
 * walk, which also names what is wrong.
 */
function isFlatJson(value: unknown): boolean {
  if (typeof value !== 'object') return isJsonScalar(value)
  if (value === null) return true
  const proto: unknown = Object.getPrototypeOf(value) // an array's is Array.prototype
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false
    const item = (value as Record<string, unknown>)[key]
    if (item !== undefined && item !== null && !isJsonScalar(item)) return false
  }
  return true
}

function isJsonScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
}

/** An object or array being checked: its keys (undefined for an array), the next to check, and whether `keys` holds the current one. */
interface Frame {
  readonly node: object
  readonly names: readonly string[] | undefined
  next: number
  keyed: boolean
}

/**
 * The walk behind {@link encodeJson}, before stringifying, because
 * JSON.stringify is lossy where we must not be: it calls toJSON (a Date
 * becomes a string), turns NaN into null, drops functions and empties Maps.
 * It keeps its own stack, so no nesting exhausts the call stack; the path is
 * kept as a stack of keys and joined only on failure, so valid values pay
 * nothing for it.
 */
function checkJson(root: unknown, path: string): void {
  const keys: (string | number)[] = []
  const failure = (expected: string, got: unknown) => new InvalidRecordError(path + pathOf(keys), expected, got)
  const frames: Frame[] = []
  const ancestors = new Set<object>()
  let value = root
  for (;;) {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        break
      case 'number':
        if (Number.isFinite(value)) break
        throw failure('a finite number', value)
      case 'object': {
        if (value === null) break
        if (ancestors.has(value)) throw failure('JSON without cycles', value)
        if (frames.length >= MAX_RECORD_DEPTH) {
          keys.length = 0 // a thousand keys would name nothing useful
          throw failure(`JSON nested at most ${MAX_RECORD_DEPTH} levels deep`, value)
        }
        let names: string[] | undefined
        if (!Array.isArray(value)) {
          const proto: unknown = Object.getPrototypeOf(value)
          if (proto !== Object.prototype && proto !== null) throw failure('a plain object', value)
          names = Object.keys(value)
        }
        ancestors.add(value)
        frames.push({ node: value, names, next: 0, keyed: false })
        break
      }
      default:
        throw failure('a JSON value', value)
    }
    // On to the next value: the next child of the innermost object or array with one left.
    for (;;) {
      const frame = frames[frames.length - 1]
      if (frame === undefined) return
      if (frame.keyed) keys.pop() // a frame without a next child is dropped, so keyed is set again only for one
      const child = nextChild(frame)
      if (child !== NONE) {
        keys.push(frame.names ? (frame.names[frame.next - 1] as string) : frame.next - 1)
        frame.keyed = true
        if (child === undefined) throw failure('a JSON value (undefined is not one)', undefined) // in an array
        value = child
        break
      }
      frames.pop()
      ancestors.delete(frame.node)
    }
  }
}

const NONE = Symbol('none')

/** The frame's next child to check (an object's undefined values are left out, as JSON.stringify does), or NONE. */
function nextChild(frame: Frame): unknown {
  const { node, names } = frame
  if (names === undefined) {
    const list = node as readonly unknown[]
    return frame.next < list.length ? list[frame.next++] : NONE
  }
  while (frame.next < names.length) {
    const item = (node as Record<string, unknown>)[names[frame.next++] as string]
    if (item !== undefined) return item
  }
  return NONE
}

/** Decodes an event row; throws `CorruptRecordError` naming its id and seq if any field is damaged. */
export function decodeEvent(row: EventRow): StoredEvent {
  const [position, id, seq, type, payload, version, tags, at] = row
  try {
    return {
      id,
      seq: integer(seq, 'seq'),
      position: integer(position, 'position'),
      type: text(type, 'type'),
      payload: parseJson(payload, 'payload'),
      version: integer(version, 'version'),
      tags: tags === '[]' ? [] : tagList(parseJson(tags, 'tags')), // most events have none
      at: finite(at, 'at')
    }
  } catch (error) {
    throw new CorruptRecordError(id, Number(seq), 'event', error)
  }
}

/**
 * Decodes a page that the database built as one JSON text, a flat array of
 * `seq, version, payload` triples (`longest` is its longest payload), or
 * returns undefined when it can't vouch for it (a payload over the limit,
 * text that does not parse, or sequence numbers out of order): the caller
 * then reads the page row by row, in order, naming any record at fault.
 */
export function decodePayloadPage(page: unknown, longest: unknown): PayloadRecord[] | undefined {
  if (page === null || page === undefined) return []
  if (typeof page !== 'string' || Number(longest) > MAX_RECORD_CHARS) return undefined
  let flat: unknown
  try {
    flat = JSON.parse(page)
  } catch {
    // not parsed: flat stays undefined, which the next check refuses
  }
  if (!Array.isArray(flat) || flat.length % 3 !== 0) return undefined
  const records: PayloadRecord[] = []
  let previous = -Infinity
  for (let i = 0; i < flat.length; i += 3) {
    const seq = flat[i] as number
    if (!(seq > previous)) return undefined
    previous = seq
    records.push({ seq, version: flat[i + 1] as number, payload: flat[i + 2] as JsonValue })
  }
  return records
}

/**
 * Decodes a page that the database built as aggregates of its rows: the
 * longest payload's length, the lowest and highest version, and two JSON
 * arrays in the same row order, the sequence numbers and the payloads (one
 * parse each, no text per event to build or read). Returns undefined when it
 * can't vouch for the page (a payload over the limit, text that does not
 * parse, columns of different lengths, sequence numbers out of order, or more
 * than one version, which only a journal written across a migration has):
 * the caller then reads the page row by row, in order, each event with its
 * own version, naming any record at fault.
 */
export function decodePayloadColumns(row: readonly unknown[] | undefined): PayloadRecord[] | undefined {
  const [longest, low, high, seqText, payloadText] = row ?? []
  if (seqText === null || seqText === undefined) return []
  if (typeof seqText !== 'string' || typeof payloadText !== 'string' || Number(longest) > MAX_RECORD_CHARS) return undefined
  if (typeof low !== 'number' || low !== high) return undefined
  const seqs = parseArray(seqText)
  const payloads = parseArray(payloadText)
  if (seqs === undefined || payloads === undefined || seqs.length !== payloads.length) return undefined
  const records: PayloadRecord[] = []
  let previous = -Infinity
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i] as number
    if (!(seq > previous)) return undefined
    previous = seq
    records.push({ seq, version: low, payload: payloads[i] as JsonValue })
  }
  return records
}

/** `text` parsed, if it is a JSON array. */
function parseArray(text: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** The part of a stored event that `readPayloads` returns. */
export function payloadOf(event: StoredEvent): PayloadRecord {
  return { seq: event.seq, version: event.version, payload: event.payload }
}

/** Decodes a page of `queryByTag` rows (ascending by position) read from position `from`. */
export function decodeTagPage(rows: readonly EventRow[], from: number): TagPage {
  const events = rows.map(decodeEvent)
  const last = events[events.length - 1]
  return { events, next: last === undefined ? from : last.position + 1 }
}

/** Decodes a snapshot row; throws `CorruptRecordError` naming its id and seq if any field is damaged. */
export function decodeSnapshot(row: SnapshotRow): StoredSnapshot {
  return decodeSnapshotInfo(row, (info) => ({ ...info, data: parseJson(row.data, 'data') }))
}

/** Orders records by id as JavaScript's default sort does (UTF-16 code units), whatever the database's collation. */
export function byId(a: { readonly id: string }, b: { readonly id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * A snapshot row without its data (`listSnapshots`), or, with `more`, what
 * it makes of it; a field that can't be decoded is a `CorruptRecordError`.
 */
export function decodeSnapshotInfo<T = SnapshotInfo>(row: Omit<SnapshotRow, 'data'>, more?: (info: SnapshotInfo) => T): T {
  try {
    const info: SnapshotInfo = { id: row.id, seq: integer(row.seq, 'seq'), version: integer(row.version, 'version'), at: finite(row.at, 'at') }
    return more ? more(info) : (info as T)
  } catch (error) {
    throw new CorruptRecordError(row.id, Number(row.seq), 'snapshot', error)
  }
}

function parseJson(value: unknown, field: string): JsonValue {
  const json = text(value, field)
  if (json.length > MAX_RECORD_CHARS) throw new RangeError(`${field} is over ${MAX_RECORD_CHARS} characters`)
  return JSON.parse(json) as JsonValue
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`${field} is not text`)
  return value
}

function integer(value: unknown, field: string): number {
  const n = typeof value === 'string' ? Number(value) : value
  if (!Number.isSafeInteger(n)) throw new TypeError(`${field} is not an integer`)
  return n as number
}

function finite(value: unknown, field: string): number {
  if (!Number.isFinite(value)) throw new TypeError(`${field} is not a number`) // false for anything but a number
  return value as number
}

function tagList(value: JsonValue): string[] {
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string')) {
    throw new TypeError('tags is not an array of strings')
  }
  return value as string[]
}

function pathOf(keys: readonly (string | number)[]): string {
  return keys
    .map((key) => (/^[A-Za-z_$][\w$]*$/.test(String(key)) ? `.${key}` : `[${JSON.stringify(key)}]`)) // an index is [3]
    .join('')
}
