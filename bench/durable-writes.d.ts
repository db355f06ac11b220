import type { Profile } from './profile';
import { type Section } from './report';
/** Every write line of the durable group. */
export declare function writeSection(dir: string, profile: Profile): Promise<Section>;
