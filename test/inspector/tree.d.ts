import { type Supervisor } from '../../src/index';
/** A device's state: a reading count, and a secret the inspector must never show. */
export interface DeviceState {
    readings: number;
    apiKey: string;
    owner: {
        name: string;
        password: string;
    };
}
export type DeviceEvent = {
    type: 'read';
} | {
    type: 'fail';
};
export declare const device: import("xstate").TransitionActorLogic<{
    readings: number;
    apiKey: string;
    owner: {
        name: string;
        password: string;
    };
}, DeviceEvent, import("xstate").NonReducibleUnknown, import("xstate").EventObject>;
/** Hides `apiKey` and `password` wherever they are. */
export declare const redactSecrets: (key: string, value: unknown) => unknown;
/**
 * Three levels: `app` (one_for_one) holds `devices` (one_for_all, two
 * sensors), `spare` (empty, dynamic-free) and the branch `clock`. Names are
 * suffixed so tests running side by side don't collide.
 */
export declare function startTree(suffix: string): Promise<Supervisor>;
