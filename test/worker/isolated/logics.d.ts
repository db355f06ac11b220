import { type Replies, type ReplyToken } from '../../../src/index';
export { counterMachine, counterReducer } from '../../support/logics';
type DeviceEvent = {
    type: 'read';
    value: number;
} | {
    type: 'get';
} | {
    type: 'hang';
} | {
    type: 'bloat';
} | {
    type: 'abort';
} | {
    type: 'abortLeavingStderr';
} | {
    type: 'throw';
} | {
    type: 'where';
} | {
    type: 'garble';
    bytes: readonly number[];
};
/**
 * A device driver's state: readings; `hang` loops forever, `bloat` allocates without bound, `abort` takes the process down,
 * `throw` crashes, `garble` writes bytes to the process's channel to its parent, as a buggy native addon might;
 * `abortLeavingStderr` aborts with a helper process (as tsx's esbuild is) holding its stderr open for 3 s.
 */
export declare const device: import("xstate").TransitionActorLogic<readonly number[], DeviceEvent, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/** Answers `fetch` later, from an invoked promise, through deferReply/replyTo. */
export declare const fetcher: import("xstate").StateMachine<{
    pending: ReplyToken | null;
    fetched: number;
}, {
    type: "fetch";
    value: string;
}, {
    [x: string]: import("xstate").ActorRefFromLogic<import("xstate").PromiseActorLogic<string, string, import("xstate").EventObject>> | undefined;
}, {
    src: "load";
    logic: import("xstate").PromiseActorLogic<string, string, import("xstate").EventObject>;
    id: string | undefined;
}, never, never, never, "idle" | "loading", string, import("xstate").NonReducibleUnknown, import("xstate").NonReducibleUnknown, import("xstate").EventObject, import("xstate").MetaObject, {
    states: {
        readonly idle: {};
        readonly loading: {};
    };
}, import("xstate").MetaObject>;
/** Counts unique ids in a table, which outlives crashes; `crash` throws, `abort` takes the process down. */
export declare const seen: import("xstate").TransitionActorLogic<number, {
    type: "see";
    id: string;
} | {
    type: "crash";
} | {
    type: "abort";
} | {
    type: "count";
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/** `keep` puts a function into the state, which can't cross back. */
export declare const leaky: import("xstate").TransitionActorLogic<{
    n: number;
    fn?: () => void;
}, {
    type: "inc";
} | {
    type: "keep";
} | {
    type: "get";
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/** Defers every `ask` and never answers it; `noop` is answered with the state. */
export declare const silent: import("xstate").TransitionActorLogic<number, {
    type: "ask";
} | {
    type: "noop";
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
export declare const notLogic: {
    hello: string;
};
/** Counts `inc`s and reaches a final state on `finish`, with the count as output; `tick` after 50 ms in `timing`. */
export declare const finisher: import("xstate").StateMachine<{
    count: number;
}, {
    type: "inc";
} | {
    type: "finish";
} | {
    type: "time";
} | {
    type: "get";
}, {}, never, never, never, never, "counting" | "timing" | "finished", string, import("xstate").NonReducibleUnknown, import("xstate").NonReducibleUnknown, import("xstate").EventObject, import("xstate").MetaObject, {
    states: {
        readonly counting: {};
        readonly timing: {};
        readonly finished: {};
    };
}, import("xstate").MetaObject>;
/** Side effects run in this thread or process: a replay must run none. */
export declare const effects: {
    count: number;
};
/** A flaky meter: `read` keeps a reading and runs a side effect (an action); `hang` loops, `abort` takes the process down; `effects` answers the count here. */
export declare const meter: import("xstate").StateMachine<{
    readings: readonly number[];
}, {
    type: "read";
    value: number;
} | {
    type: "get";
} | {
    type: "hang";
} | {
    type: "abort";
} | {
    type: "effects";
}, {}, never, {
    type: "effect";
    params: unknown;
}, never, never, {}, string, import("xstate").NonReducibleUnknown, import("xstate").NonReducibleUnknown, import("xstate").EventObject, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
/** Keeps a random number with each reading: a replay can't reach the same state (verifyReplay reports it). */
export declare const noisy: import("xstate").TransitionActorLogic<readonly (readonly [number, number])[], {
    type: "read";
    value: number;
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/**
 * Defers each `ask` and answers it from a microtask, outside any transition
 * (as a callback would), then notes the answer in its table `answered` (which
 * reaches an isolated worker's parent after the answer); `count` is answered
 * with `reply`, `bump` with `respond`.
 */
export declare const lateAnswerer: import("xstate").StateMachine<{
    asks: number;
}, {
    type: "ask";
} | ({
    type: "count";
} & Replies<number>) | {
    type: "bump";
}, {}, never, never, never, never, {}, string, import("xstate").NonReducibleUnknown, import("xstate").NonReducibleUnknown, import("xstate").EventObject, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
