import type { EventObject } from 'xstate'
import type { NameRoute } from '../api/messaging'
import type { CallOptions } from '../supervisor/types'
import { UnknownNameError } from '../shared/errors'

/**
 * The route for a name this node's watch has not seen (yet). The watch lags
 * the bucket: a branch started on another node a moment ago is in the bucket
 * before this node hears of it. A call can wait, so it asks the bucket itself
 * (`find`, one read) and goes on if the name is held there; a cast or send
 * answers at once, from what this node knows, as it does for a local name.
 */
export function unseenNameRoute(name: string, find: () => Promise<NameRoute | undefined>): NameRoute {
  const found = async (): Promise<NameRoute> => {
    const route = await find()
    if (!route) throw new UnknownNameError(name)
    return route
  }
  return {
    call: async (event: EventObject, options?: CallOptions) => (await found()).call(event, options),
    callAll: async (events: readonly EventObject[], options?: CallOptions) => (await found()).callAll(events, options),
    cast: () => {
      throw new UnknownNameError(name)
    },
    send: () => {
      throw new UnknownNameError(name)
    }
  }
}
