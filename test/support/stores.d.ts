import { MemoryStore, type KeeperStore } from '../../src/index';
/**
 * A MemoryStore that can be taken down: while `down`, every write and read
 * rejects with StoreUnavailableError, as a store that lost its server does.
 * `hold()` holds every write until released, to see what waits for one.
 */
export declare class FlakyStore extends MemoryStore {
    #private;
    down: boolean;
    appends: number;
    batches: number;
    /** Holds writes until the returned function is called. */
    hold(): () => void;
    append(...args: Parameters<KeeperStore['append']>): Promise<number>;
    appendBatch(...args: Parameters<KeeperStore['appendBatch']>): Promise<number[]>;
    saveSnapshot(...args: Parameters<KeeperStore['saveSnapshot']>): Promise<boolean>;
    loadSnapshot(...args: Parameters<KeeperStore['loadSnapshot']>): ReturnType<KeeperStore['loadSnapshot']>;
    read(...args: Parameters<KeeperStore['read']>): ReturnType<KeeperStore['read']>;
}
/**
 * A real store (MemoryStore, SqliteStore...) whose writes can be held: while
 * held, append, appendBatch and saveSnapshot wait at a gate before they reach
 * it, so a test sees what waits for a write and what does not. With `lag`,
 * each write also waits a turn of the event loop first, as a networked
 * store's would, so that a caller told too early hears before it lands.
 */
export declare class HeldStore implements KeeperStore {
    #private;
    readonly inner: KeeperStore;
    /** Writes the real store has finished. */
    landed: number;
    /** Writes waiting at the gate. */
    waiting: number;
    constructor(inner: KeeperStore, options?: {
        lag?: boolean;
    });
    /** Holds writes until the returned function is called. */
    hold(): () => void;
    append(...args: Parameters<KeeperStore['append']>): Promise<number>;
    appendBatch(...args: Parameters<KeeperStore['appendBatch']>): Promise<number[]>;
    saveSnapshot(...args: Parameters<KeeperStore['saveSnapshot']>): Promise<boolean>;
    read(...args: Parameters<KeeperStore['read']>): ReturnType<KeeperStore['read']>;
    lastSeq(id: string): Promise<number>;
    loadSnapshot(id: string): ReturnType<KeeperStore['loadSnapshot']>;
    queryByTag(...args: Parameters<KeeperStore['queryByTag']>): ReturnType<KeeperStore['queryByTag']>;
    delete(id: string): Promise<boolean>;
    listIds(): Promise<string[]>;
    close(): Promise<void>;
}
