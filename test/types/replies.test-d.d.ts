import { type EventObject } from 'xstate';
import { type Replies } from '../../src/index';
declare const account: import("xstate").StateMachine<{
    balance: number;
}, {
    type: "deposit";
    amount: number;
} | ({
    type: "balance";
} & Replies<number>) | {
    type: "close";
}, {}, never, never, never, never, {}, string, import("xstate").NonReducibleUnknown, import("xstate").NonReducibleUnknown, EventObject, import("xstate").MetaObject, {}, import("xstate").MetaObject>;
type Op = ({
    type: 'double';
} & Replies<number>) | ({
    type: 'name';
} & Replies<string>) | {
    type: 'inc';
};
declare const doubler: import("xstate").TransitionActorLogic<number, Op, import("xstate").NonReducibleUnknown, EventObject>;
declare module '../../src/index' {
    interface Register {
        names: {
            'typed-account': typeof account;
            'typed-doubler': typeof doubler;
        };
    }
}
export {};
