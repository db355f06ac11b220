/** What can be grown and shrunk, whatever it holds. */
export interface Resizable {
    resize(size: number): Promise<void>;
}
/**
 * A set of live members (branches or bare actors) that can be grown and
 * shrunk between measurements, and handed out round-robin so that a call with
 * 10,000 alive really touches 10,000 different ones.
 */
export declare class Population<T> implements Resizable {
    #private;
    constructor(start: () => T | Promise<T>, stop: (member: T) => unknown);
    get size(): number;
    /** Starts or stops members until `size` are alive; resolves once the stopped ones have stopped. */
    resize(size: number): Promise<void>;
    /** The next member, round-robin. */
    next(): T;
}
