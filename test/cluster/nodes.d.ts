/** An error as it came back from a node process: its class name and own fields. */
export interface RemoteFailure {
    readonly name: string;
    readonly message: string;
    readonly code?: string;
    readonly instanceOf?: string;
    readonly [field: string]: unknown;
}
/** A cluster node running in a child process (node-process.ts), driven over IPC. */
export interface NodeProcess {
    readonly id: string;
    readonly pid: number;
    /** Runs one of node-process.ts's ops; rejects with the node's error as a RemoteFailure. */
    run<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
    /** The op's error, or throws if it succeeded. */
    failure(op: string, args?: Record<string, unknown>): Promise<RemoteFailure>;
    /** SIGKILL; resolves once the process is gone. */
    kill(): Promise<void>;
    /** Leaves the cluster and exits. */
    stop(): Promise<void>;
}
/** Starts a node process; resolves once it has joined the cluster. */
/** Where a node process joins, and how. */
export interface NodeEnv {
    nats: string;
    cluster: string;
    node: string;
    lease?: number;
    pg?: object;
    maxBytes?: number;
    /** The node's `auth` option. */
    auth?: object;
    /** A CA file the node trusts for TLS. */
    tlsCa?: string;
}
/**
 * Starts several node processes at once; if one fails to join, the others are
 * stopped before the error is thrown, so a failed start leaves no process
 * behind to hold the test run open.
 */
export declare function startNodeProcesses(envs: readonly NodeEnv[]): Promise<NodeProcess[]>;
export declare function startNodeProcess(env: NodeEnv): Promise<NodeProcess>;
