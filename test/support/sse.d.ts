/** One server-sent event. */
export interface SseEvent {
    readonly event: string;
    readonly data: unknown;
}
/**
 * Reads a server-sent event stream with fetch: `next(test)` resolves with the
 * first event (from the start of the stream, or after the last one returned)
 * that passes `test`, or rejects after `timeout` ms naming what it waited for.
 */
export declare function openStream(url: string, headers?: Record<string, string>): Promise<{
    next(test: (e: SseEvent) => boolean, what: string, timeout?: number): Promise<SseEvent>;
    close(): void;
}>;
