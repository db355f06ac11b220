import { type Replies } from '../src/index';
export type CounterEvent = ({
    type: 'get';
} & Replies<number>) | {
    type: 'inc';
} | {
    type: 'crash';
};
/** What a bare actor emits to answer a request. */
export interface ReplyEvent {
    type: 'reply';
    value: number;
}
/** `keepsake`: answer the branch's call; `emit`: emit a ReplyEvent for a bare actor's caller. */
export type Answering = 'keepsake' | 'emit';
/** One record of the ~1 MB state the restart benchmarks carry. */
export interface Item {
    readonly id: number;
    readonly name: string;
    readonly owner: string;
    readonly tags: readonly string[];
    readonly score: number;
    readonly active: boolean;
}
export interface CounterContext {
    count: number;
    calls: number;
    items: readonly Item[];
}
/**
 * A machine: `get` counts the call (one assign) and answers the count, `inc`
 * assigns, `crash` throws from an action. Input `items` is carried in the
 * context untouched (the restart benchmarks' big state).
 */
export declare function counterMachine(answering: Answering): import("xstate").StateMachine<CounterContext, ({
    type: "get";
} & Replies<number>) | {
    type: "inc";
} | {
    type: "crash";
}, {}, never, never, never, never, {}, string, {
    items?: readonly Item[];
}, import("xstate").NonReducibleUnknown, ReplyEvent, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
/** The same counter as a `fromTransition` reducer over a number. */
export declare function counterReducer(answering: Answering): import("xstate").TransitionActorLogic<number, CounterEvent, import("xstate").NonReducibleUnknown, ReplyEvent>;
/** ~1 MB of JSON: `count` records of about 100 bytes each. */
export declare function bigItems(count?: number): Item[];
/** The parts of a started bare actor a request needs. */
export interface Requestable {
    send(event: CounterEvent): void;
    on(type: 'reply', handler: (event: ReplyEvent) => void): unknown;
}
/**
 * The floor's request/reply: send the event and await the emitted reply, the
 * way one would without keepsake. One request at a time, like `await call(...)`.
 */
export declare function requester(actor: Requestable): (event: CounterEvent) => Promise<number>;
