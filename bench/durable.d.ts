import type { Profile } from './profile';
import type { Group } from './report';
/**
 * Durable keepers against their store used directly: journal and snapshot
 * writes (sync and batched) and recovery, on SQLite files in a temp
 * directory (on disk, so FULL pays its fsyncs) and on MemoryStore.
 */
export declare function durableGroup(profile: Profile): Promise<Group>;
