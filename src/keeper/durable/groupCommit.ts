import { processWide } from '../../shared/processWide'
import type { AppendRequest, KeeperStore } from '../../stores/KeeperStore'
import { JournalConflictError } from '../../stores/errors'
import { immediate } from '../../shared/platform'

interface Pending {
  readonly request: AppendRequest
  resolve(seq: number): void
  reject(error: unknown): void
}

/**
 * Group commit: appends queued on one store within a tick go out as one
 * `appendBatch` transaction; while it commits, the next batch fills up. A
 * journal that conflicts fails alone: the batch is retried without it.
 */
class GroupCommit {
  readonly #store: KeeperStore
  #queued: Pending[] = []
  #busy = false

  constructor(store: KeeperStore) {
    this.#store = store
  }

  append(request: AppendRequest): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ request, resolve, reject })
      if (!this.#busy) {
        this.#busy = true
        immediate(() => void this.#flush())
      }
    })
  }

  async #flush(): Promise<void> {
    while (this.#queued.length > 0) {
      let batch = this.#queued
      this.#queued = []
      while (batch.length > 0) {
        try {
          const seqs = await this.#store.appendBatch(batch.map((p) => p.request))
          batch.forEach((p, i) => p.resolve(seqs[i] as number))
          batch = []
        } catch (error) {
          const culprit = error instanceof JournalConflictError ? error.id : undefined
          const failed = culprit === undefined ? batch : batch.filter((p) => p.request.id === culprit)
          for (const p of failed) p.reject(error)
          batch = culprit === undefined ? [] : batch.filter((p) => p.request.id !== culprit)
        }
      }
    }
    this.#busy = false
  }
}

const committers = processWide('groupCommitters.v1', () => new WeakMap<KeeperStore, GroupCommit>())

/** Appends `request` in the next group commit on `store`; resolves with its new last seq. */
export function groupAppend(store: KeeperStore, request: AppendRequest): Promise<number> {
  let committer = committers.get(store)
  if (!committer) {
    committer = new GroupCommit(store)
    committers.set(store, committer)
  }
  return committer.append(request)
}
