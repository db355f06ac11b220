import { fromTransition } from 'xstate'
import { describe, expect, it } from 'vitest'
import { CallTimeoutError, InvalidOptionError, MemoryStore, migrations, WorkerCrashedError } from '../../src/index'
import { startNode, RemoteError, TransferFailedError, UnknownKindError, VersionTooNewError } from '../../src/cluster'
import { nameKey, nameOfKey } from '../../src/cluster/keys'
import { readNodeOptions } from '../../src/cluster/options'
import { decodeError, decodeRequest, encode, encodeError } from '../../src/cluster/wire'

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
    const tooNew = decodeError(JSON.parse(JSON.stringify(encodeError(new VersionTooNewError('cart', 'cart', 2, 'b', 1)))))
    expect(tooNew).toBeInstanceOf(VersionTooNewError)
    expect(tooNew).toBeInstanceOf(TransferFailedError)
    expect(tooNew).toMatchObject({ code: 'VERSION_TOO_NEW', branchName: 'cart', kind: 'cart', version: 2, nodeId: 'b', nodeVersion: 1 })
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

describe('versioned kinds (issue 20)', () => {
  const ok = { servers: 'nats://127.0.0.1:1', cluster: 'c' }
  const logic = fromTransition((s: { n: number }) => s, { n: 0 })

  it("a kind's version is its own (without durable) or its durable options' (with): the one a node announces", () => {
    const steps = migrations<{ context: { count: number } }>().step(2, (s) => ({ ...s, context: { n: s.context.count } }))
    const config = readNodeOptions({ ...ok, kinds: { plain: { logic }, moved: { logic, migrations: steps }, kept: { logic, durable: { store: new MemoryStore(), version: 3, migrations: { 2: (s: unknown) => s, 3: (s: unknown) => s } } } } })
    expect([...config.plans].map(([kind, plan]) => [kind, plan.version])).toEqual([['plain', 1], ['moved', 2], ['kept', 3]])
  })

  it('refuses a version given twice or malformed, naming the option', () => {
    const durable = { store: new MemoryStore() }
    expect(() => readNodeOptions({ ...ok, kinds: { k: { logic, durable, version: 2 } } })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'kinds.k.version' }))
    expect(() => readNodeOptions({ ...ok, kinds: { k: { logic, version: 0 } } })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'kinds.k.version' }))
    expect(() => readNodeOptions({ ...ok, kinds: { k: { logic, version: 1, migrations: { 2: (s: unknown) => s } } } })).toThrow(InvalidOptionError)
  })

  it("refuses an adopt whose state version is not an integer >= 1", () => {
    const adopt = (ver: unknown) => encode('c', { k: 'adopt', n: 'x', kind: 'k', input: undefined, image: { kind: 'initial' }, rev: 1, ver } as never)
    expect(decodeRequest(adopt(2), 'c', 1 << 20)).toMatchObject({ ver: 2 })
    for (const bad of [0, 1.5, '2', -1]) expect(() => decodeRequest(adopt(bad), 'c', 1 << 20)).toThrow(/"ver" must be an integer >= 1/)
  })
})
