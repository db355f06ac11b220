import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromTransition } from 'xstate'
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt'
import { createAccount, createOperator, createUser } from '@nats-io/nkeys'
import { connect } from '@nats-io/transport-node'
import { afterAll, describe, expect, it } from 'vitest'
import { call } from '../../src/index'
import { startNode } from '../../src/cluster'
import { makeCa } from '../support/certificates'
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

  it('creds file: in operator mode (JWTs made by the test), a user the cluster\'s account signed joins; one of an account the operator never signed is refused', async () => {
    const operator = createOperator()
    const system = createAccount()
    const account = createAccount()
    // Given limits replace the defaults, so all of them: unlimited, JetStream included.
    const limits = { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, leaf: -1, wildcards: true, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }
    const operatorJwt = await encodeOperator('keepsake-test', operator, { system_account: system.getPublicKey() })
    const accountJwt = await encodeAccount('SHOP', account, { limits }, { signer: operator })
    const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator })
    const creds = async (name: string, issuer: ReturnType<typeof createAccount>) => {
      const user = createUser()
      const file = join(dir, `${name}.creds`)
      writeFileSync(file, fmtCreds(await encodeUser(name, user, issuer), user))
      return file
    }
    const nats = await server([], `
operator: ${operatorJwt}
system_account: ${system.getPublicKey()}
resolver: MEMORY
resolver_preload: { ${account.getPublicKey()}: ${accountJwt}, ${system.getPublicKey()}: ${systemJwt} }
`)
    await expect(startNode({ servers: nats.url, cluster: 'creds', kinds, auth: { credsFile: await creds('rogue', createAccount()) } })).rejects.toThrow(/Authorization/i)
    const node = await startNode({ servers: nats.url, cluster: 'creds', kinds, auth: { credsFile: await creds('node', account) } })
    await node.startBranch({ kind: 'counter', name: 'signed' })
    expect(await call('signed', { type: 'inc' })).toBe(1)
    await node.stop()
  })

  it('mutual TLS: the server verifies client certificates; a node with one its CA issued joins, without one or with another CA\'s it is refused', async () => {
    const authority = makeCa(dir, 'mtls')
    const stranger = makeCa(dir, 'stranger')
    const tls = authority.issue('mtls-server')
    const nats = await server([], `tls { cert_file: "${tls.cert}", key_file: "${tls.key}", ca_file: "${authority.ca}", verify: true }`)
    const client = (issued?: { cert: string; key: string }) => ({ caFile: authority.ca, ...(issued ? { certFile: issued.cert, keyFile: issued.key } : {}) })
    // The server drops the handshake, which the client sees only as its connect timeout (20 s by default): a short one here.
    for (const tls of [client(), client(stranger.issue('stranger-client'))]) {
      await expect(connect({ servers: nats.url, tls, timeout: 3000, maxReconnectAttempts: 0 })).rejects.toThrow()
    }
    const node = await startNode({ servers: nats.url, cluster: 'mtls', kinds, tls: client(authority.issue('mtls-client')) })
    await node.startBranch({ kind: 'counter', name: 'mutual' })
    expect(await call('mutual', { type: 'inc' })).toBe(1)
    await node.stop()
  })
})
