import type { Profile } from './profile';
import { type Group } from './report';
export declare function scaleGroup(profile: Profile): Promise<Group>;
