import { type AnyBranch, type ChildSpec, type Supervisor } from '../../src/index';
/** A counter that exits normally on `finish` (a final state). */
export declare const finishable: import("xstate").StateMachine<{
    count: number;
}, {
    type: "inc";
} | {
    type: "finish";
} | {
    type: "get";
}, {}, never, never, never, never, "done" | "on", string, import("xstate").NonReducibleUnknown, import("xstate").NonReducibleUnknown, import("xstate").EventObject, import("xstate").MetaObject, {
    states: {
        readonly on: {};
        readonly done: {};
    };
}, import("xstate").MetaObject>;
/**
 * A branch child that logs its starts and stops. Its branch gives up at its
 * first crash (maxRestarts 0), so `kill()` makes it exit with a failure.
 */
export declare function recorded(id: string, log: string[], spec?: Partial<ChildSpec>): ChildSpec;
/** The live branch of child `id`. */
export declare function childOf(supervisor: Supervisor, id: string): AnyBranch;
/** The three ways a child exits on its own. */
export declare const exits: {
    readonly normal: (b: AnyBranch) => void;
    readonly shutdown: (b: AnyBranch) => undefined;
    readonly failure: (b: AnyBranch) => void;
};
