import { type Snapshot } from 'xstate';
import type { KeeperStore, NewEvent } from '../src/index';
import { SqliteStore, type SqliteSynchronous } from '../src/sqlite';
import { type CounterContext, type CounterEvent } from './logics';
export declare const INC: CounterEvent;
/** The machine every durable line runs (a machine: what users journal, and what issue 6 measured). */
export declare const durableLogic: import("xstate").StateMachine<CounterContext, ({
    type: "get";
} & import("../src/api").Replies<number>) | {
    type: "inc";
} | {
    type: "crash";
}, {}, never, never, never, never, {}, string, {
    items?: readonly import("./logics").Item[];
}, import("xstate").NonReducibleUnknown, import("./logics").ReplyEvent, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
/** `INC` as Durability appends it: the event as payload, version 1, no tags. */
export declare const INC_RECORD: NewEvent;
/** The same counter as a reducer: its journal holds the same rows, and replays ~10x cheaper a transition. */
export declare const durableReducer: import("xstate").TransitionActorLogic<number, CounterEvent, import("xstate").NonReducibleUnknown, import("./logics").ReplyEvent>;
type Persisted = Snapshot<unknown> & {
    context: CounterContext;
};
/** The machine's persisted snapshot after `count` incs: what the keeper saves at that point. */
export declare function persistedAt(count: number): Persisted;
/** The reducer's persisted snapshot after `count` incs. */
export declare function reducerPersistedAt(count: number): Snapshot<unknown> & {
    context: number;
};
/** The count a recovered branch holds (a machine's context, or a reducer's number): proof that what was measured replayed every event. */
export declare function countOf(state: unknown): number;
/** A SQLite store in its own file of `dir`. */
export declare function openSqlite(dir: string, name: string, synchronous: SqliteSynchronous): Promise<SqliteStore>;
/** `n` copies of INC_RECORD, one append request's worth. */
export declare function incs(n: number): NewEvent[];
/**
 * `store`, with `see` told of the arguments of each call of `method` (how
 * many journals each group commit covered, how many snapshot writes a burst
 * made), so a line can show it measured the writes it says. Methods are
 * bound to the store: its private fields need it.
 */
export declare function observed<M extends keyof KeeperStore>(store: KeeperStore, method: M, see: (...args: Parameters<NonNullable<KeeperStore[M]>>) => void): KeeperStore;
export {};
