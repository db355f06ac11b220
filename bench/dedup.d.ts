import type { Profile } from './profile';
import { type Group } from './report';
export declare function dedupGroup(profile: Profile): Promise<Group>;
