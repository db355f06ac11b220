/** A free loopback port: the OS picks one for a listener on port 0, which we then close. */
export declare function freePort(): Promise<number>;
