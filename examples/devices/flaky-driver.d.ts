import { type Replies } from '../../src/index';
export type DriverEvent = ({
    type: 'measure';
    seq: number;
} & Replies<number>) | ({
    type: 'summary';
} & Replies<{
    kept: number;
    mean: number;
}>);
export interface Readings {
    readonly values: readonly number[];
}
/** What the sensor does on measurement `seq`: deterministic, so every run tells the same story. */
export declare function behaviour(seq: number): 'value' | 'hang' | 'abort';
/** Replies with the value read; `summary` replies with how many were kept and their mean. */
export declare const flakyDriver: import("xstate").TransitionActorLogic<Readings, DriverEvent, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
