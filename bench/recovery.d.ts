import type { Profile } from './profile';
import { type Section } from './report';
/** Recovery against journal length, with no snapshot and with one TAIL events back. */
export declare function recoverySection(dir: string, profile: Profile): Promise<Section>;
