import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBucket } from '../../src/cluster/buckets'
import { startNats, type NatsServer } from '../support/nats'

let nats: NatsServer
let connections: NatsConnection[] = []

beforeAll(async () => {
  nats = await startNats()
  connections = await Promise.all(Array.from({ length: 6 }, () => connect({ servers: nats.url })))
}, 60_000)

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()))
  await nats?.stop()
})

describe('ensureBucket', () => {
  it('six connections creating the same buckets at once all get the one bucket', async () => {
    for (let round = 0; round < 10; round++) {
      const name = `race-${round}`
      const buckets = await Promise.all(connections.map((nc) => ensureBucket(new Kvm(nc), name, { history: 1, ttl: 2000 })))
      await buckets[0]!.put('k', 'v')
      for (const kv of buckets) expect((await kv.get('k'))?.string()).toBe('v')
    }
  }, 60_000)

  it('throws at once what is not a race, and a race that does not settle after a few tries', async () => {
    let creates = 0
    const refusing = (code: number) => ({
      create: async () => {
        creates++
        throw Object.assign(new Error(`refused (${code})`), { code })
      }
    })
    await expect(ensureBucket(refusing(10039), 'x', {})).rejects.toThrow('refused (10039)')
    expect(creates).toBe(1)
    creates = 0
    await expect(ensureBucket(refusing(10065), 'x', {})).rejects.toThrow('refused (10065)')
    expect(creates).toBe(6)
  })
})
