import { type ServerControls } from './server';
/**
 * A private `nats-server -js` for the tests: its own JetStream store in a temp
 * dir, on a free loopback port (never the system server on 4222). It can be
 * stopped and started again on the same store and port, as a lost server
 * would be.
 */
export interface NatsServer extends ServerControls {
    /** Where clients reach it: `nats://127.0.0.1:<port>`. */
    readonly url: string;
    readonly port: number;
    /** The permission violations the server has logged ("Publish Violation - User ..."), oldest first. */
    violations(): readonly string[];
}
/**
 * Starts a fresh server; rejects (having cleaned up) if it can't. `config`,
 * if given, is the text of a nats-server config file (accounts, users,
 * permissions, TLS), written to the server's temp dir; the command line still
 * sets the port, the loopback address and the JetStream store.
 */
export declare function startNats(extraArgs?: readonly string[], config?: string): Promise<NatsServer>;
