export declare const counter: import("xstate").StateMachine<import("./logics").CounterContext, ({
    type: "get";
} & import("../src").Replies<number>) | {
    type: "inc";
} | {
    type: "crash";
}, {}, never, never, never, never, {}, string, {
    items?: readonly import("./logics").Item[];
}, import("xstate").NonReducibleUnknown, import("./logics").ReplyEvent, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
