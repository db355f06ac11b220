import type { AnyActorLogic, AnyActorRef, Snapshot } from 'xstate'

/**
 * Where a worker incarnation starts from:
 * - `initial`: the logic's initial state, from `input` (the first start only);
 * - `live`: a snapshot the keeper holds, used as it is (no spawned children to revive);
 * - `persisted`: xstate's persisted form, revived by the logic's own `restoreSnapshot`.
 */
export type RestorePoint =
  | { readonly kind: 'initial'; readonly input: unknown }
  | { readonly kind: 'live'; readonly snapshot: Snapshot<unknown> }
  | { readonly kind: 'persisted'; readonly snapshot: Snapshot<unknown> }

interface ChildEntry {
  snapshot?: { status?: string }
}

/**
 * Chooses how to bring back `kept`. It must run before the dead incarnation's
 * children are stopped: their states are read from them.
 *
 * A snapshot without children is reused as it is. Going through xstate's
 * `restoreSnapshot` instead would walk the whole context looking for actor
 * references (~9 ms for a 1 MB context), which is what makes a restart cost
 * time proportional to the state. With children, xstate's persisted form
 * carries each child's state; a child that itself failed is left out, so the
 * restarted worker is not handed the actor that crashed it.
 */
export function restorePointFor(logic: AnyActorLogic, kept: Snapshot<unknown>): RestorePoint {
  const children = (kept as { children?: Record<string, AnyActorRef> }).children
  if (!children || Object.keys(children).length === 0) return { kind: 'live', snapshot: kept }

  const persisted = logic.getPersistedSnapshot(kept) as Snapshot<unknown> & {
    children?: Record<string, ChildEntry>
  }
  const revivable: Record<string, ChildEntry> = {}
  for (const [id, entry] of Object.entries(persisted.children ?? {})) {
    const status = entry.snapshot?.status
    if (status === 'active' || status === 'done') revivable[id] = entry
  }
  return { kind: 'persisted', snapshot: { ...persisted, children: revivable } as unknown as Snapshot<unknown> }
}
