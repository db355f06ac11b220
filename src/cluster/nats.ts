import type * as JetStream from '@nats-io/jetstream'
import type * as Kv from '@nats-io/kv'
import type * as Transport from '@nats-io/transport-node'
import { loadPeers } from '../stores/requests'

/** The NATS client's packages: optional peer dependencies, loaded by the first `startNode`. */
export interface Nats {
  readonly transport: typeof Transport
  readonly jetstream: typeof JetStream
  readonly kv: typeof Kv
}

let loaded: Nats | undefined

/**
 * Loads the NATS client (each package by its literal import, so bundlers see
 * them). Rejects with `MissingDriverError` naming every package missing.
 */
export async function loadNats(): Promise<Nats> {
  if (loaded) return loaded
  const modules = await loadPeers<{ '@nats-io/transport-node': typeof Transport; '@nats-io/jetstream': typeof JetStream; '@nats-io/kv': typeof Kv }>('keepsake/cluster', {
    '@nats-io/transport-node': () => import('@nats-io/transport-node'),
    '@nats-io/jetstream': () => import('@nats-io/jetstream'),
    '@nats-io/kv': () => import('@nats-io/kv')
  })
  loaded = { transport: modules['@nats-io/transport-node'], jetstream: modules['@nats-io/jetstream'], kv: modules['@nats-io/kv'] }
  return loaded
}

/** The NATS client, once {@link loadNats} has loaded it (everything that uses it runs inside a started node). */
export function nats(): Nats {
  if (!loaded) throw new Error('keepsake: the NATS client was used before startNode loaded it')
  return loaded
}
