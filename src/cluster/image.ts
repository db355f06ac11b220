import type { AnyActorLogic, EventObject } from 'xstate'
import { Tables } from '../keeper/Tables'
import { encodeJson } from '../stores/codec'
import type { RestorePoint } from '../worker/restorePoint'
import { InvalidMessageError, WireValueError } from './errors'
import { findWireProblem } from './wire'

// What a remote transfer sends: the branch's restore point and its tables, in a form that survives JSON.

/** A branch's tables on the wire: `[name, [key, value][]][]`. */
export type TablesImage = [string, [unknown, unknown][]][]

/**
 * A restore point that survives JSON: the persisted form of the kept snapshot.
 * Throws WireValueError naming the first field JSON can't carry as it is (a
 * BigInt, a Date, NaN...): such a state can't leave its process unchanged.
 */
export function jsonImage(logic: AnyActorLogic, point: RestorePoint | undefined): RestorePoint | undefined {
  if (!point || point.kind === 'initial') return point
  const snapshot = point.kind === 'live' ? logic.getPersistedSnapshot(point.snapshot) : point.snapshot
  const image = { kind: 'persisted', snapshot, delays: point.delays }
  const problem = findWireProblem(image, 'image', 1)
  if (problem) throw new WireValueError(problem.path, problem.what)
  return JSON.parse(JSON.stringify(image)) as RestorePoint
}

/** An image from the network: the persisted form and pending delays, checked for shape. */
export function readImage(value: unknown): RestorePoint {
  const o = value as { kind?: unknown; snapshot?: unknown; delays?: unknown; input?: unknown }
  if (o.kind === 'initial') return { kind: 'initial', input: o.input }
  const delaysOk =
    Array.isArray(o.delays) &&
    o.delays.every((d: Record<string, unknown>) => typeof d === 'object' && d !== null && typeof d.id === 'string' && typeof d.dueAt === 'number' && typeof (d.event as EventObject | undefined)?.type === 'string')
  if (o.kind !== 'persisted' || typeof o.snapshot !== 'object' || o.snapshot === null || !delaysOk) {
    throw new InvalidMessageError('"image" must be { kind: "persisted", snapshot, delays }')
  }
  return o as RestorePoint
}

/**
 * The branch's tables as JSON, or throws the store codec's InvalidRecordError
 * naming the first entry that is not plain data (a device handle, a
 * function, a Date): such a table can't leave its process.
 */
export function jsonTables(tables: Tables): TablesImage {
  const image: TablesImage = tables.entries().map(([name, map]) => [name, [...map]])
  return JSON.parse(encodeJson(image, 'tables')) as TablesImage
}

/** Tables from the network, checked for shape (the wire already refused prototype keys and deep nesting). */
export function readTables(value: unknown): Tables {
  if (value === undefined) return new Tables()
  const shaped =
    Array.isArray(value) &&
    value.every((t: unknown) => Array.isArray(t) && t.length === 2 && typeof t[0] === 'string' && Array.isArray(t[1]) && t[1].every((e: unknown) => Array.isArray(e) && e.length === 2))
  if (!shaped) throw new InvalidMessageError('"tables" must be [name, [key, value][]][]')
  return new Tables((value as TablesImage).map(([name, entries]) => [name, new Map(entries)]))
}
