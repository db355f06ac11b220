import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, type NatsServer } from '../support/nats'
import { startNodeProcesses, type NodeProcess, type RemoteFailure } from './nodes'

let nats: NatsServer
let a: NodeProcess, b: NodeProcess

beforeAll(async () => {
  nats = await startNats()
  ;[a, b] = (await startNodeProcesses(['a', 'b'].map((node) => ({ nats: nats.url, cluster: 'outage', node })))) as [NodeProcess, NodeProcess]
}, 60_000)

afterAll(async () => {
  await Promise.all([a, b].map((n) => n?.stop()))
  await nats?.stop()
})

/** Runs `attempt` every 100 ms until it gives what `done` wants; rejects after `ms`. */
async function until<T>(attempt: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await attempt()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`gave up; last: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const outcome = (node: NodeProcess, op: string, args: Record<string, unknown>) =>
  node.run(op, args).then(
    (value) => ({ ok: true as const, value }),
    (error: { remote?: RemoteFailure }) => ({ ok: false as const, error: error.remote })
  )

describe('losing the NATS connection', () => {
  it('for longer than the lease: local branches keep working, remote calls fail with ClusterUnavailableError, and routing resumes after reconnect', async () => {
    await b.run('start', { kind: 'journal', name: 'remote' })
    await a.run('startLocal', { name: 'local' })
    expect(await a.run('call', { name: 'remote', event: { type: 'inc' } })).toMatchObject({ count: 1 })

    await nats.kill()
    const killedAt = Date.now()
    const failed = await until(() => outcome(a, 'call', { name: 'remote', event: { type: 'inc' }, options: { timeout: 500 } }), (o) => !o.ok && o.error?.instanceOf === 'ClusterUnavailableError', 10_000)
    expect(failed.ok).toBe(false)
    expect((await a.failure('cast', { name: 'remote', event: { type: 'inc' } })).instanceOf).toBe('ClusterUnavailableError')
    expect((await b.failure('start', { kind: 'journal', name: 'new' })).instanceOf).toBe('ClusterUnavailableError')
    // Local work goes on, by name and on the owner's side too.
    expect(await a.run('call', { name: 'local', event: { type: 'inc', by: 2 } })).toMatchObject({ count: 2 })
    expect(await b.run('call', { name: 'remote', event: { type: 'inc' } })).toMatchObject({ count: 2 })

    // Down for longer than the lease (2 s): the server expires every name when it comes back, and b must take its own back.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 3000 - Date.now())))
    await nats.restart()
    const resumed = await until(() => outcome(a, 'call', { name: 'remote', event: { type: 'inc' }, options: { timeout: 1000 } }), (o) => o.ok, 20_000)
    // Its count: the calls before, during (on b) and after; a call that timed out during the outage may have been applied too.
    expect(resumed.ok && (resumed.value as { count: number }).count).toBeGreaterThanOrEqual(3)
    expect(await b.run('held')).toEqual(['remote'])
    expect(await a.run('owner', { name: 'remote' })).toBe('b')
  }, 60_000)
})
