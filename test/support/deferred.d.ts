/** A promise with its resolvers (Promise.withResolvers is not in Node 20). */
export declare function deferred<T>(): {
    promise: Promise<T>;
    resolve: (value: T) => void;
    reject: (error: unknown) => void;
};
/** Resolves on the branch's next `name` event. */
export declare function next<T = unknown>(emitter: {
    once(event: never, handler: never): unknown;
}, name: string): Promise<T>;
