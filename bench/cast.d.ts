import type { Profile } from './profile';
import { type Group } from './report';
export declare function castGroup(profile: Profile): Promise<Group>;
