import type { Profile } from './profile';
import { type Group } from './report';
/**
 * A call's round trip with the worker in this thread, a worker thread and a
 * child process: the same module-named machine (assign + reply) behind each,
 * sampled in the same rounds; plus what starting each kind of branch costs.
 */
export declare function isolationGroup(profile: Profile): Promise<Group>;
