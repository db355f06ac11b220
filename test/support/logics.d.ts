import { type Replies } from '../../src/index';
export type CounterEvent = {
    type: 'inc';
    by?: number;
} | ({
    type: 'get';
} & Replies<number>) | {
    type: 'crash';
} | {
    type: 'noop';
};
/** A reducer counter that throws on `crash`. */
export declare const counterReducer: import("xstate").TransitionActorLogic<number, CounterEvent, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/** A counter machine: `inc` assigns, `get` replies the count, `crash` throws from an action. */
export declare const counterMachine: import("xstate").StateMachine<{
    count: number;
}, {
    type: "inc";
    by?: number;
} | ({
    type: "get";
} & Replies<number>) | {
    type: "crash";
} | {
    type: "noop";
}, {}, never, never, never, never, {}, string, {
    start?: number;
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
/** Records `id`s in order; `crash` with `fail: true` throws. */
export declare const journalReducer: import("xstate").TransitionActorLogic<readonly number[], {
    type: "add";
    id: number;
    fail?: boolean;
} | {
    type: "get";
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
