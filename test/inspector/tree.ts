import { fromTransition } from 'xstate'
import { branchSpec, startSupervisor, supervisorSpec, type Supervisor } from '../../src/index'

/** A device's state: a reading count, and a secret the inspector must never show. */
export interface DeviceState {
  readings: number
  apiKey: string
  owner: { name: string; password: string }
}

export type DeviceEvent = { type: 'read' } | { type: 'fail' }

export const device = fromTransition(
  (state: DeviceState, event: DeviceEvent): DeviceState => {
    if (event.type === 'fail') throw new Error('sensor returned NaN')
    return { ...state, readings: state.readings + 1 }
  },
  { readings: 0, apiKey: 'sk-live-SECRET', owner: { name: 'ada', password: 'hunter2' } }
)

/** Hides `apiKey` and `password` wherever they are. */
export const redactSecrets = (key: string, value: unknown): unknown => (key === 'apiKey' || key === 'password' ? '[redacted]' : value)

/**
 * Three levels: `app` (one_for_one) holds `devices` (one_for_all, two
 * sensors), `spare` (empty, dynamic-free) and the branch `clock`. Names are
 * suffixed so tests running side by side don't collide.
 */
export function startTree(suffix: string): Promise<Supervisor> {
  return startSupervisor({
    id: `app-${suffix}`,
    children: [
      supervisorSpec({
        supervisor: {
          id: 'devices',
          strategy: 'one_for_all',
          maxRestarts: 5,
          children: [branchSpec({ id: 'sensor-1', branch: { logic: device, name: `sensor-1-${suffix}` } }), branchSpec({ id: 'sensor-2', branch: { logic: device, name: `sensor-2-${suffix}` } })]
        }
      }),
      supervisorSpec({ supervisor: { id: 'spare', strategy: 'rest_for_one' } }),
      branchSpec({ id: 'clock', branch: { logic: device, name: `clock-${suffix}` } })
    ]
  })
}
