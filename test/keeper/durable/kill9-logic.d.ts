/** Adds `n` to a total; `adds` counts the adds. */
export declare const durableCounter: import("xstate").TransitionActorLogic<{
    total: number;
    adds: number;
}, {
    type: "add";
    n: number;
} | {
    type: "get";
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/** The same logic named by module, for a branch whose worker is isolated. */
export declare const durableCounterModule: {
    module: string;
    export: string;
};
