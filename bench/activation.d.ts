import type { Profile } from './profile';
import { type Group } from './report';
export declare function activationGroup(profile: Profile): Promise<Group>;
