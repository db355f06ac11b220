import { fromTransition } from 'xstate'
import { describe, expect, it } from 'vitest'
import { CallTimeoutError, InvalidOptionError, WorkerCrashedError } from '../../src/index'
import { startNode, RemoteError, UnknownKindError } from '../../src/cluster'
import { nameKey, nameOfKey } from '../../src/cluster/keys'
import { decodeError, encodeError } from '../../src/cluster/wire'

describe('names as keys', () => {
  it('every name is one base64url token, and comes back as it was', () => {
    for (const name of ['plain', 'a.b', 'a.*', '>', 'with space', '$KV.x', '💥', 'x'.repeat(512)]) {
      const key = nameKey(name)
      expect(key).toMatch(/^n\.[A-Za-z0-9_-]+$/)
      expect(nameOfKey(key)).toBe(name)
    }
    expect(nameOfKey('node.a')).toBeUndefined()
    expect(nameOfKey('n.a.b')).toBeUndefined()
  })
})

describe('errors across the wire', () => {
  it('come back as their own class, with their fields and cause', () => {
    const timeout = decodeError(JSON.parse(JSON.stringify(encodeError(new CallTimeoutError('box', 'get', 300)))))
    expect(timeout).toBeInstanceOf(CallTimeoutError)
    expect(timeout).toMatchObject({ code: 'CALL_TIMEOUT', branchId: 'box', timeout: 300, name: 'CallTimeoutError' })
    const crashed = decodeError(JSON.parse(JSON.stringify(encodeError(new WorkerCrashedError('box', 'inc', new TypeError('bad'))))))
    expect(crashed).toBeInstanceOf(WorkerCrashedError)
    expect((crashed as Error & { cause: Error }).cause).toMatchObject({ name: 'TypeError', message: 'bad' })
    const foreign = decodeError({ name: 'SomethingElse', message: 'boom', fields: { __proto__: 1 } as never })
    expect(foreign).toBeInstanceOf(RemoteError)
  })
})

describe('startNode options', () => {
  it('rejects bad options with InvalidOptionError before connecting', async () => {
    const ok = { servers: 'nats://127.0.0.1:1', cluster: 'c' }
    for (const bad of [{ ...ok, cluster: 'a.b' }, { ...ok, cluster: '' }, { ...ok, nodeId: 'x>' }, { ...ok, servers: [] }, { ...ok, leaseTtl: 10 }, { ...ok, auth: { user: 'u' } }, { ...ok, logger: {} }]) {
      await expect(startNode(bad as never)).rejects.toBeInstanceOf(InvalidOptionError)
    }
    await expect(startNode({ ...ok, kinds: { k: { logic: {} as never } } })).rejects.toThrow(/xstate actor logic/)
    // A kind's restart intensity is `intensity`, as a branch's.
    await expect(startNode({ ...ok, kinds: { k: { logic: fromTransition((s: number) => s, 0), restart: { maxRestarts: 1 } } as never } })).rejects.toMatchObject({ name: 'UnknownOptionError', option: 'restart', suggestion: 'intensity' })
    expect(new UnknownKindError('x', ['counter']).message).toContain('counter')
  })
})
