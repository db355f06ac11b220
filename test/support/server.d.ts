import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
/** One run of a test server's process. */
export interface Running {
    /** SIGKILLs it and resolves once it is gone. */
    kill(): Promise<void>;
    /** SIGKILLs it without waiting (at process exit). */
    killNow(): void;
}
/** What every private test server can do, as a crashed or lost server would be made to. */
export interface ServerControls {
    /** SIGKILLs the server; resolves once it is gone. */
    kill(): Promise<void>;
    /** Starts it again on the same data and port; resolves once it is ready. */
    restart(): Promise<void>;
    /** Kills it and removes its directory. Safe to call more than once. */
    stop(): Promise<void>;
}
/**
 * Runs a private server in a fresh temp directory: `launch` prepares it
 * there and says how to start it (again); the controls kill, restart and
 * stop it. Whatever happens to the test process, no server is left behind
 * and the directory goes; a launch that fails cleans up before it rejects.
 */
export declare function privateServer<T extends object>(prefix: string, launch: (dir: string) => Promise<{
    start: () => Promise<Running>;
    details: T;
}>): Promise<T & ServerControls>;
/**
 * Resolves once one of `streams` logs a line containing `ready` (an event,
 * not a guess); rejects with the last 200 lines if `child` exits first. Keeps
 * reading for the server's whole life: a full pipe would block its logging;
 * `onLine`, if given, sees every line.
 */
export declare function readyLine(name: string, child: ChildProcess, streams: readonly Readable[], ready: string, onLine?: (line: string) => void): Promise<void>;
