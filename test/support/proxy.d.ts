/**
 * A loopback TCP proxy to `port` that a test can cut (every connection
 * dropped, new ones refused) and restore: a network partition of whoever
 * connects through it. It can also hold what clients send (kept in order,
 * not forwarded) until released: a write stalled on its way, as it is when
 * its process stops after sending it.
 */
export interface Proxy {
    readonly port: number;
    cut(): void;
    restore(): void;
    /** From now on, what clients send is kept here instead of forwarded. */
    hold(): void;
    /** Forwards what was held, in order, and forwards again from now on. */
    release(): void;
    /** Bytes clients sent that are held now. */
    readonly held: number;
    /** Bytes the upstream server has sent back to clients so far. */
    readonly answered: number;
    close(): Promise<void>;
}
export declare function startProxy(port: number): Promise<Proxy>;
