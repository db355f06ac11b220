import type { Profile } from './profile';
import { type Group } from './report';
/**
 * What observing costs a call: nothing attached (the shipped default), an
 * observer with no hooks (the dispatch alone), `instrument()` on the
 * OpenTelemetry API's no-op providers (the package installed, no SDK), and
 * `instrument()` on the SDK with an in-memory exporter.
 */
export declare function telemetryGroup(profile: Profile): Promise<Group>;
