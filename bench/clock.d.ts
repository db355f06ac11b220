import type { Clock } from '../src/index';
/**
 * A clock that moves only when told to, so a benchmark can passivate idle
 * branches on demand (outside the clock it measures with) instead of sleeping
 * through their `idleTimeout`. `advance` sorts the due timers once per pass,
 * so 100,000 branches' idle timers fire in O(n log n), not O(n²).
 */
export declare class BenchClock implements Clock {
    #private;
    now(): number;
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
    /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
    advance(ms: number): void;
}
