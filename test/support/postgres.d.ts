import { type ServerControls } from './server';
/**
 * A private PostgreSQL server for the tests: its own data directory in a temp
 * dir, on a free loopback port, started from the binaries `pg_config
 * --bindir` names. It can be SIGKILLed and restarted on the same data and
 * port, as a crashed database server would be.
 */
export interface PostgresServer extends ServerControls {
    /** How node-postgres reaches it (trust auth, loopback only). */
    readonly connection: {
        host: '127.0.0.1';
        port: number;
        user: 'postgres';
        database: 'postgres';
    };
}
/** Starts a fresh server; rejects (having cleaned up) if it can't. */
export declare function startPostgres(): Promise<PostgresServer>;
