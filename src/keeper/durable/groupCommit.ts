import { processWide } from '../../shared/processWide'
import { immediate } from '../../shared/platform'
import type { AppendRequest, KeeperStore } from '../../stores/KeeperStore'
import { JournalConflictError } from '../../stores/errors'
import { GroupCommit, type GroupOutcome } from '../../stores/groupCommit'

/**
 * One group of `durability: 'batched'` appends, as one `appendBatch`
 * transaction. A journal that conflicts fails alone: the batch is retried
 * without it; any other error fails what is left of the group.
 */
async function appendGroup(store: KeeperStore, requests: readonly AppendRequest[]): Promise<GroupOutcome<number>[]> {
  const outcomes: GroupOutcome<number>[] = []
  let left = requests.map((request, at) => ({ request, at }))
  while (left.length > 0) {
    try {
      const seqs = await store.appendBatch(left.map((p) => p.request))
      left.forEach((p, i) => (outcomes[p.at] = { ok: true, value: seqs[i] as number }))
      left = []
    } catch (error) {
      const culprit = error instanceof JournalConflictError ? error.id : undefined
      for (const p of left) if (culprit === undefined || p.request.id === culprit) outcomes[p.at] = { ok: false, error }
      left = culprit === undefined ? [] : left.filter((p) => p.request.id !== culprit)
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
