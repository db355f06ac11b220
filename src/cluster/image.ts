import type { AnyActorLogic, EventObject } from 'xstate'
import type { AnyBranch } from '../supervisor/Branch'
import type { RestorePoint } from '../worker/restorePoint'
import { InvalidMessageError } from './errors'

// What a remote transfer sends: the branch's restore point, in a form that survives JSON.

/** Resolves once nothing is queued in the branch (transfer waits for it before stopping it). */
export async function drained(branch: AnyBranch, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (branch._queued > 0) {
    if (Date.now() > until) throw new Error('its mailbox did not drain')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A restore point that survives JSON: the persisted form of the kept snapshot. */
export function jsonImage(logic: AnyActorLogic, point: RestorePoint | undefined): RestorePoint | undefined {
  if (!point || point.kind === 'initial') return point
  const snapshot = point.kind === 'live' ? logic.getPersistedSnapshot(point.snapshot) : point.snapshot
  return JSON.parse(JSON.stringify({ kind: 'persisted', snapshot, delays: point.delays })) as RestorePoint
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
