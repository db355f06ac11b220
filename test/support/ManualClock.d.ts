import type { Clock } from '../../src/index';
/** A clock that moves only when told to, firing due timers in order. */
export declare class ManualClock implements Clock {
    #private;
    now(): number;
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
    /** Timers not yet fired. */
    get pending(): number;
    /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
    advance(ms: number): void;
}
/**
 * A manual clock whose timers behave as Node's do: a delay over 2^31-1 ms
 * fires after 1 ms. A clock a user builds on the global timers is like this.
 */
export declare class NodeLikeClock extends ManualClock {
    /** Delays Node's own timers refused (and ran after 1 ms instead). */
    overflows: number;
    setTimeout(fn: () => void, ms: number): unknown;
}
