/** A list that each `add` appends to: which updates a store kept is plain to see. */
export declare const itemList: import("xstate").TransitionActorLogic<string[], {
    type: "add";
    item: string;
}, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
