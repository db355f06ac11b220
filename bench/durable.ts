import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSection } from './durable-writes'
import type { Profile } from './profile'
import { recoverySection } from './recovery'
import type { Group } from './report'

/**
 * Durable keepers against their store used directly: journal and snapshot
 * writes (sync and batched) and recovery, on SQLite files in a temp
 * directory (on disk, so FULL pays its fsyncs) and on MemoryStore.
 */
export async function durableGroup(profile: Profile): Promise<Group> {
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-bench-'))
  try {
    const writes = await writeSection(dir, profile)
    const recovery = await recoverySection(dir, profile)
    return {
      id: 'durable',
      title: 'durable: journal and snapshot writes, and recovery, against the store used directly',
      anchorTitle: 'SQLite alone',
      rows: [...writes.rows, ...recovery.rows],
      notes: [...writes.notes, ...recovery.notes]
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
