import type { KeeperStore } from '../../src/stores/KeeperStore';
/** How the contract suite gets stores, and reaches behind them to damage records. */
export interface StoreHarness {
    /** A fresh, empty store. The suite closes it after each test. */
    open(): Promise<KeeperStore>;
    /** Durable stores: overwrite the stored payload of event `seq` of `id` with garbage. */
    corruptEvent?(store: KeeperStore, id: string, seq: number): Promise<void>;
    /** Durable stores: overwrite the stored data of the snapshot of `id` with garbage. */
    corruptSnapshot?(store: KeeperStore, id: string): Promise<void>;
}
/**
 * The guarantees every `KeeperStore` keeps (see `src/stores/KeeperStore.ts`),
 * as one suite to run against each store.
 */
export declare function defineStoreContract(name: string, harness: StoreHarness): void;
