import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromTransition } from 'xstate'
import { createUser } from '@nats-io/nkeys'
import { afterAll, describe, expect, it } from 'vitest'
import { call } from '../../src/index'
import { startNode } from '../../src/cluster'
import { startNats, type NatsServer } from '../support/nats'

const counter = fromTransition((n: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)
const kinds = { counter: { logic: counter } }
const servers: NatsServer[] = []
const dir = mkdtempSync(join(tmpdir(), 'keepsake-tls-'))

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  rmSync(dir, { recursive: true, force: true })
})

async function server(args: string[], config?: string): Promise<NatsServer> {
  const s = await startNats(args, config)
  servers.push(s)
  return s
}

describe('credentials and TLS pass through to NATS', () => {
  it('user and password: the right ones join, wrong or none are refused by the server', async () => {
    const nats = await server(['--user', 'keeper', '--pass', 's3cret'])
    await expect(startNode({ servers: nats.url, cluster: 'auth', kinds })).rejects.toThrow(/Authorization/i)
    await expect(startNode({ servers: nats.url, cluster: 'auth', kinds, auth: { user: 'keeper', pass: 'wrong' } })).rejects.toThrow(/Authorization/i)
    const node = await startNode({ servers: nats.url, cluster: 'auth', kinds, auth: { user: 'keeper', pass: 's3cret' } })
    await node.startBranch({ kind: 'counter', name: 'guarded' })
    expect(await call('guarded', { type: 'inc' })).toBe(1)
    await node.stop()
  })

  it('token', async () => {
    const nats = await server(['--auth', 'tok-123'])
    await expect(startNode({ servers: nats.url, cluster: 'auth', kinds, auth: { token: 'nope' } })).rejects.toThrow(/Authorization/i)
    {
      await using node = await startNode({ servers: nats.url, cluster: 'auth', kinds, auth: { token: 'tok-123' } })
      expect(node.cluster).toBe('auth')
    }
    // One node per process: this one starts only because `await using` stopped the first.
    const again = await startNode({ servers: nats.url, cluster: 'auth', kinds, auth: { token: 'tok-123' } })
    await again.stop()
  })

  it('nkey: the user\'s seed joins, another seed is refused by the server', async () => {
    const user = createUser()
    const seed = (key: ReturnType<typeof createUser>) => new TextDecoder().decode(key.getSeed())
    const nats = await server([], `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }`)
    await expect(startNode({ servers: nats.url, cluster: 'nkey', kinds, auth: { nkeySeed: seed(createUser()) } })).rejects.toThrow(/Authorization/i)
    const node = await startNode({ servers: nats.url, cluster: 'nkey', kinds, auth: { nkeySeed: seed(user) } })
    await node.startBranch({ kind: 'counter', name: 'keyed' })
    expect(await call('keyed', { type: 'inc' })).toBe(1)
    await node.stop()
  })

  it('TLS: a server that requires it is reached with the CA given in tls', async () => {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
    const nats = await server(['--tls', '--tlscert', cert, '--tlskey', key])
    await expect(startNode({ servers: nats.url, cluster: 'tls', kinds })).rejects.toThrow()
    const node = await startNode({ servers: nats.url, cluster: 'tls', kinds, tls: { ca: readFileSync(cert, 'utf8') } })
    await node.startBranch({ kind: 'counter', name: 'secure' })
    expect(await call('secure', { type: 'inc' })).toBe(1)
    await node.stop()
  })
})
