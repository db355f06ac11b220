import type { Profile } from './profile';
import { type Group } from './report';
export declare function memoryGroup(profile: Profile): Promise<Group>;
