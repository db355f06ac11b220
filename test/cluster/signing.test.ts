import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/index'
import { startNode } from '../../src/cluster'
import { ClusterKey } from '../../src/cluster/signing'

const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) => key.export({ type: 'pkcs8', format: 'pem' }) as string
const ed = () => generateKeyPairSync('ed25519')
const bytes = new TextEncoder().encode('{"k":"call"}')

describe('the clusterKey option', () => {
  it('refuses what is not an Ed25519 key with InvalidOptionError naming the option, and never echoes key text', async () => {
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)
    const cases: [unknown, string][] = [
      ['a seed', 'clusterKey'],
      [{ privateKey: 'not a key, but maybe a secret' }, 'clusterKey.privateKey'],
      [{ privateKey: rsa }, 'clusterKey.privateKey'],
      [{ privateKey: ed().publicKey }, 'clusterKey.privateKey'],
      [{ privateKey: ed().privateKey, trusted: 'everyone' }, 'clusterKey.trusted'],
      [{ privateKey: ed().privateKey, trusted: [42] }, 'clusterKey.trusted[0]']
    ]
    for (const [clusterKey, option] of cases) {
      const error = await startNode({ servers: 'nats://127.0.0.1:1', cluster: 'c', clusterKey: clusterKey as never }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect(error).toMatchObject({ option })
      expect((error as Error).message).not.toMatch(/maybe a secret|PRIVATE KEY/)
    }
  })

  it('signs for one scope: another scope, other bytes, or an untrusted key are each refused with their reason', () => {
    const a = ed()
    const b = ed()
    const nodeA = ClusterKey.read({ privateKey: pem(a.privateKey), trusted: [b.privateKey] })
    const nodeB = ClusterKey.read({ privateKey: b.privateKey, trusted: [a.publicKey.export({ type: 'spki', format: 'pem' }) as string] })
    const stranger = ClusterKey.read({ privateKey: ed().privateKey })
    const signature = nodeA.sign('request\nkeepsake.c.node.b', bytes)
    expect(nodeB.check('request\nkeepsake.c.node.b', bytes, nodeA.id, signature)).toBeUndefined()
    expect(nodeA.check('request\nkeepsake.c.node.b', bytes, nodeA.id, signature)).toBeUndefined()
    expect(nodeB.check('request\nkeepsake.c.node.x', bytes, nodeA.id, signature)).toMatch(/does not match/)
    expect(nodeB.check('request\nkeepsake.c.node.b', new TextEncoder().encode('{"k":"cast"}'), nodeA.id, signature)).toMatch(/does not match/)
    expect(nodeB.check('request\nkeepsake.c.node.b', bytes, stranger.id, stranger.sign('request\nkeepsake.c.node.b', bytes))).toMatch(/does not trust/)
    expect(nodeB.check('request\nkeepsake.c.node.b', bytes, undefined, undefined)).toMatch(/not signed/)
  })
})
