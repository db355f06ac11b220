import type { Profile } from './profile';
import { type Group } from './report';
export declare function callGroup(profile: Profile): Promise<Group>;
