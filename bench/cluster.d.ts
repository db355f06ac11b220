import type { Profile } from './profile';
import { type Group } from './report';
/**
 * A call to a branch in another process, through the cluster, against a raw
 * NATS request/reply between the same two processes (the other side echoes
 * it), in the same rounds: what keepsake adds to the network round trip.
 */
export declare function clusterGroup(profile: Profile): Promise<Group>;
