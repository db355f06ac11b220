import type { Profile } from './profile';
import { type Group } from './report';
/**
 * What the inspector costs: a call while it runs (no page open, and a page
 * streaming), against the same call with nothing attached; and one update of
 * a 10,000-branch tree (walk, one page's view, its JSON) against the
 * supervisor's own `tree()` walk of the same tree.
 */
export declare function inspectorGroup(profile: Profile): Promise<Group>;
