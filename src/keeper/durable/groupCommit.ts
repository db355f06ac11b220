import { processWide } from '../../shared/processWide'
import { immediate } from '../../shared/platform'
import type { AppendRequest, KeeperStore } from '../../stores/KeeperStore'
import { JournalConflictError } from '../../stores/errors'
import { GroupCommit, type GroupOutcome } from '../../stores/groupCommit'

/**
 * One group of `durability: 'batched'` appends, as one `appendBatch`
 * transaction. A journal that conflicts fails alone: the batch is retried
 * without it; any other error fails what is left of the group. The group is
 * passed on as it came until a conflict (the common case: no copy, no
 * wrapper per request); only a retry numbers what is left.
 */
async function appendGroup(store: KeeperStore, requests: readonly AppendRequest[]): Promise<GroupOutcome<number>[]> {
  const outcomes: GroupOutcome<number>[] = []
  /** Where in `requests` each request still to write is (undefined: all of them, in order). */
  let left: number[] | undefined
  while (left === undefined || left.length > 0) {
    const at = left
    try {
      const seqs = await store.appendBatch(at ? at.map((i) => requests[i] as AppendRequest) : requests)
      seqs.forEach((seq, i) => (outcomes[at ? (at[i] as number) : i] = { ok: true, value: seq }))
      return outcomes
    } catch (error) {
      const culprit = error instanceof JournalConflictError ? error.id : undefined
      const indexes = at ?? requests.map((_, i) => i)
      for (const i of indexes) if (culprit === undefined || (requests[i] as AppendRequest).id === culprit) outcomes[i] = { ok: false, error }
      left = culprit === undefined ? [] : indexes.filter((i) => (requests[i] as AppendRequest).id !== culprit)
    }
  }
  return outcomes
}

// Keyed by store, for the process (both builds): v2 since the committer is the stores' GroupCommit.
const committers = processWide('groupCommitters.v2', () => new WeakMap<KeeperStore, GroupCommit<AppendRequest, number>>())

/**
 * Appends `request` in the next group commit on `store` (the appends queued
 * within a tick go out together; while one group commits, the next fills
 * up); resolves with its new last seq.
 */
export function groupAppend(store: KeeperStore, request: AppendRequest): Promise<number> {
  let committer = committers.get(store)
  if (!committer) {
    committer = new GroupCommit((requests) => appendGroup(store, requests), (drain) => void immediate(drain))
    committers.set(store, committer)
  }
  return committer.submit(request)
}
