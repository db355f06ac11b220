/** An array whose items (branches, supervisors) are stopped after each test. */
export declare function stoppedAfterEach<T extends {
    stop(): Promise<void>;
}>(): T[];
/** `start` wrapped so that what it starts is stopped after each test; `items` also takes what a test starts otherwise. */
export declare function startedForEach<A extends unknown[], T extends {
    stop(): Promise<void>;
}>(start: (...args: A) => Promise<T>): {
    items: T[];
    start: (...args: A) => Promise<T>;
};
