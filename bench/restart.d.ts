import type { Profile } from './profile';
import { type Group } from './report';
export declare function restartGroup(profile: Profile): Promise<Group>;
