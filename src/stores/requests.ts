import { InvalidOptionError, KeepsakeError } from '../shared/errors'
import { moduleFile, nodeModule } from '../shared/platform'
import { readOptions } from '../shared/validate'
import { encodeJson } from './codec'
import type { GroupOutcome } from './groupCommit'
import {
  InvalidRecordError,
  JournalConflictError,
  MissingDriverError,
  SnapshotConflictError,
  StoreClosedError,
  StoreUnavailableError
} from './errors'

/**
 * What every store does before and around touching its database: validate
 * and encode what it was asked to write (so a bad value is rejected before
 * anything is written), check appends against the journals (optimistic
 * concurrency, shared so every store decides conflicts alike), read options,
 * and map driver failures to typed errors.
 */

/** An event checked and encoded, ready for any store's insert. */
export interface EncodedEvent {
  readonly type: string
  readonly payload: string
  readonly version: number
  readonly tags: readonly string[]
  /** `tags` as the JSON text stored beside the event. */
  readonly tagsJson: string
  readonly at: number
}

/** An append request checked and encoded. */
export interface EncodedRequest {
  readonly id: string
  readonly expectedSeq: number
  readonly events: readonly EncodedEvent[]
}

/** A snapshot checked and encoded. */
export interface EncodedSnapshot {
  readonly seq: number
  readonly data: string
  readonly version: number
  readonly at: number
  /** A fenced write: the kept snapshot's `seq` it requires (null: none kept); undefined: unconditional. */
  readonly expectedSeq: number | null | undefined
}

/** One journal's part of a planned batch: its events are numbered `firstSeq`, `firstSeq + 1`, ... */
export interface PlannedAppend {
  readonly id: string
  readonly firstSeq: number
  readonly events: readonly EncodedEvent[]
}

/** A batch checked against the journals, ready to write. */
export interface Plan {
  readonly appends: readonly PlannedAppend[]
  /** Each request's new last sequence number, in request order (what appendBatch resolves with). */
  readonly lastSeqs: number[]
  /** Each journal written to, with its last sequence number after the batch. */
  readonly finalSeqs: ReadonlyMap<string, number>
}

/** Checks and encodes one `append` call. */
export function encodeAppend(id: unknown, events: unknown, expectedSeq: unknown, now: number): EncodedRequest {
  return encodeRequest({ id, events, expectedSeq }, '', now)
}

/** Checks and encodes an `appendBatch` call. */
export function encodeBatch(requests: unknown, now: number): EncodedRequest[] {
  if (!Array.isArray(requests)) throw new InvalidRecordError('requests', 'an array of { id, expectedSeq, events }', requests)
  return requests.map((request: unknown, i) => {
    if (typeof request !== 'object' || request === null) {
      throw new InvalidRecordError(`requests[${i}]`, 'an object { id, expectedSeq, events }', request)
    }
    return encodeRequest(request as Record<string, unknown>, `requests[${i}].`, now)
  })
}

/** Checks and encodes a `saveSnapshot` call. */
export function encodeSnapshot(snapshot: unknown, now: number): EncodedSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw new InvalidRecordError('snapshot', 'an object { seq, data, version? }', snapshot)
  }
  const s = snapshot as Record<string, unknown>
  return {
    seq: checkCount(s.seq, 'snapshot.seq'),
    version: checkVersion(s.version, 'snapshot.version'),
    at: checkTime(s.at, 'snapshot.at', now),
    expectedSeq: s.expectedSeq === undefined || s.expectedSeq === null ? s.expectedSeq : checkCount(s.expectedSeq, 'snapshot.expectedSeq'),
    data: encodeJson(s.data, 'snapshot.data')
  }
}

/**
 * Decides a snapshot write against the kept snapshot's `seq` (`kept`, read
 * inside the store's transaction; undefined if none): true to write, false
 * for an unconditional write older than the kept one. Throws
 * `SnapshotConflictError` when a fenced write's `expectedSeq` does not match.
 */
export function admitSnapshot(id: string, snapshot: EncodedSnapshot, kept: number | undefined): boolean {
  const { expectedSeq } = snapshot
  if (expectedSeq === undefined) return kept === undefined || kept <= snapshot.seq
  if ((kept ?? null) !== expectedSeq) throw new SnapshotConflictError(id, expectedSeq, kept ?? null)
  return true
}

/**
 * Checks `requests`, in order, against the journals' ends (`lastSeqOf`,
 * looked up inside the store's transaction) and numbers their events. Throws
 * the first request's `JournalConflictError`; then nothing may be written.
 */
export function planAppends(requests: readonly EncodedRequest[], lastSeqOf: (id: string) => number): Plan {
  const ends = new Map<string, number>() // every id seen so far, for a later request on it
  const finalSeqs = new Map<string, number>() // only ids written to: an empty append creates nothing
  const appends: PlannedAppend[] = []
  const lastSeqs: number[] = []
  for (const { id, expectedSeq, events } of requests) {
    const actual = ends.get(id) ?? lastSeqOf(id)
    if (actual !== expectedSeq) throw new JournalConflictError(id, expectedSeq, actual)
    const last = expectedSeq + events.length
    ends.set(id, last)
    lastSeqs.push(last)
    if (events.length === 0) continue
    finalSeqs.set(id, last)
    appends.push({ id, firstSeq: expectedSeq + 1, events })
  }
  return { appends, lastSeqs, finalSeqs }
}

/**
 * Like {@link planAppends}, for requests that are independent of one another
 * (a group commit's): each is checked on its own, against the journals' ends
 * after the requests before it, and one that conflicts fails alone (its
 * outcome is its `JournalConflictError`) while the others are written.
 * Each outcome holds its request's last sequence number; there is no
 * `lastSeqs`, which would skip the requests that failed.
 */
export function planEach(requests: readonly EncodedRequest[], lastSeqOf: (id: string) => number): Omit<Plan, 'lastSeqs'> & { readonly outcomes: GroupOutcome<number>[] } {
  const ends = new Map<string, number>()
  const finalSeqs = new Map<string, number>()
  const appends: PlannedAppend[] = []
  const outcomes: GroupOutcome<number>[] = []
  for (const request of requests) {
    try {
      const plan = planAppends([request], (id) => ends.get(id) ?? lastSeqOf(id))
      const last = plan.lastSeqs[0] as number
      ends.set(request.id, last)
      appends.push(...plan.appends)
      for (const [id, seq] of plan.finalSeqs) finalSeqs.set(id, seq)
      outcomes.push({ ok: true, value: last })
    } catch (error) {
      if (!(error instanceof JournalConflictError)) throw error
      outcomes.push({ ok: false, error })
    }
  }
  return { appends, finalSeqs, outcomes }
}

/** Reads `listSnapshots` options: the id prefix ('' for every id). */
export function readPrefix(options: unknown): string {
  const prefix = readOptions(options, 'listSnapshots options').prefix ?? ''
  if (typeof prefix !== 'string' || prefix.includes('\u0000')) {
    throw new InvalidOptionError('listSnapshots.prefix', 'a string without NUL characters', prefix)
  }
  return prefix
}

/** Reads `{ [startKey]?, limit? }` options of read/queryByTag. */
export function readRange(
  options: unknown,
  what: string,
  startKey: string,
  startDefault: number
): { start: number; limit: number | undefined } {
  const o = readOptions(options, what)
  const start = o[startKey] ?? startDefault
  if (!Number.isSafeInteger(start) || (start as number) < startDefault) {
    throw new InvalidOptionError(`${what}.${startKey}`, `an integer >= ${startDefault}`, start)
  }
  const limit = o.limit
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0)) {
    throw new InvalidOptionError(`${what}.limit`, 'an integer >= 0', limit)
  }
  return { start: start as number, limit: limit as number | undefined }
}

/**
 * Runs one store operation: rejects with `StoreClosedError` once the store is
 * closed, and turns anything the driver throws into `StoreUnavailableError`
 * (keepsake's own errors pass through unchanged).
 */
export async function guard<T>(store: string, operation: string, closed: boolean, body: () => T | Promise<T>): Promise<T> {
  if (closed) throw new StoreClosedError(store, operation)
  try {
    return await body()
  } catch (error) {
    if (error instanceof KeepsakeError) throw error
    throw new StoreUnavailableError(store, operation, error)
  }
}

/**
 * Loads a store's driver on first use (`load` is the store's own literal
 * `import('...')`, so bundlers still see it), so that importing keepsake never
 * requires an optional peer dependency. Throws `MissingDriverError` if it fails.
 */
export async function loadDriver<T>(store: string, packageName: string, load: () => Promise<T>): Promise<T> {
  return (await loadPeers(store, { [packageName]: load }))[packageName] as T
}

/**
 * Loads optional peer dependencies together, each by its own literal
 * `import('...')` (keyed by package name): their modules, or
 * `MissingDriverError` naming every one that failed, not just the first.
 */
export async function loadPeers<T extends Record<string, unknown>>(user: string, loads: { readonly [P in keyof T]: () => Promise<T[P]> }): Promise<T> {
  const names = Object.keys(loads) as (keyof T & string)[]
  const outcomes = await Promise.allSettled(names.map((name) => loads[name]()))
  const failed = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [{ name: names[i] as string, reason: outcome.reason as unknown }] : []))
  if (failed.length > 0) throw missing(user, failed)
  return Object.fromEntries(outcomes.map((outcome, i) => [names[i], (outcome as PromiseFulfilledResult<unknown>).value])) as T
}

/**
 * Loads optional peer dependencies synchronously, for a feature whose API is
 * synchronous (Node only: Node's `require`, which also loads ES modules on
 * Node >= 20.19). Throws `MissingDriverError` naming every one missing.
 */
export function requirePeers<T extends Record<string, unknown>>(user: string, names: readonly (keyof T & string)[]): T {
  const require = nodeModule('node:module').createRequire(moduleFile(import.meta.url as string | undefined))
  const loaded: Record<string, unknown> = {}
  const failed: { name: string; reason: unknown }[] = []
  for (const name of names) {
    try {
      loaded[name] = require(name)
    } catch (reason) {
      failed.push({ name, reason })
    }
  }
  if (failed.length > 0) throw missing(user, failed)
  return loaded as T
}

function missing(user: string, failed: readonly { readonly name: string; readonly reason: unknown }[]): MissingDriverError {
  const cause = failed.length === 1 ? (failed[0] as { reason: unknown }).reason : new AggregateError(failed.map((f) => f.reason), failed.map((f) => f.name).join(', '))
  return new MissingDriverError(user, failed.map((f) => f.name), cause)
}

function encodeRequest(r: Record<string, unknown>, prefix: string, now: number): EncodedRequest {
  const id = checkName(r.id, `${prefix}id`)
  const expectedSeq = checkCount(r.expectedSeq, `${prefix}expectedSeq`)
  if (!Array.isArray(r.events)) throw new InvalidRecordError(`${prefix}events`, 'an array of events', r.events)
  const events = r.events.map((event: unknown, i) => encodeEvent(event, `${prefix}events[${i}]`, now))
  return { id, expectedSeq, events }
}

function encodeEvent(event: unknown, path: string, now: number): EncodedEvent {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidRecordError(path, 'an event { type, payload, version?, tags?, at? }', event)
  }
  const e = event as Record<string, unknown>
  const tags = checkTags(e.tags, `${path}.tags`)
  return {
    type: checkName(e.type, `${path}.type`),
    version: checkVersion(e.version, `${path}.version`),
    tags,
    tagsJson: JSON.stringify(tags),
    at: checkTime(e.at, `${path}.at`, now),
    payload: encodeJson(e.payload, `${path}.payload`)
  }
}

/**
 * Checks an id, event type or tag: a non-empty string without NUL characters
 * (PostgreSQL's text can't hold them, so no store accepts them).
 */
export function checkName(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000')) {
    throw new InvalidRecordError(path, 'a non-empty string without NUL characters', value)
  }
  return value
}

function checkCount(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new InvalidRecordError(path, 'an integer >= 0', value)
  return value as number
}

function checkVersion(value: unknown, path: string): number {
  if (value === undefined) return 1
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 2 ** 31 - 1) {
    throw new InvalidRecordError(path, 'an integer from 1 to 2^31 - 1', value)
  }
  return value as number
}

function checkTime(value: unknown, path: string, now: number): number {
  if (value === undefined) return now
  if (!Number.isFinite(value)) throw new InvalidRecordError(path, 'a finite number of ms since the epoch', value) // false for a non-number
  return value as number
}

function checkTags(value: unknown, path: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new InvalidRecordError(path, 'an array of tag strings', value)
  value.forEach((tag: unknown, i) => checkName(tag, `${path}[${i}]`))
  return [...new Set(value as string[])]
}
