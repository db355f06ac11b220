import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { call, cast, startBranch, WorkerCrashedError, WorkerExitedError, type AnyBranch } from '../../../src/index'
import { FrameReader, writeFrame } from '../../../src/worker/isolated/channel'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule, next } from './support'

const started = stoppedAfterEach<AnyBranch>()

async function device(): Promise<AnyBranch> {
  const branch = await startBranch({ logic: logicModule('device'), isolation: 'process' })
  started.push(branch)
  return branch
}

const pidOf = async (branch: AnyBranch) => ((await call(branch, { type: 'where' }, { timeout: 20_000 })) as { pid: number }).pid

/** Bytes a buggy native addon might write to the host's channel: each broke Node's own IPC parser in the parent. */
const garbage = {
  // A well-formed length, then bytes that are no serialized value: Node's parser threw, uncaught, and the parent exited.
  'an unparseable message': [0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef],
  // A length of ~1.8 GB: Node's parser waited for it forever, and every call timed out while the branch said it was running.
  'a frame that never ends': [...Buffer.from('oops')]
}

describe("isolation: 'process': a broken channel", () => {
  for (const [shape, bytes] of Object.entries(garbage)) {
    it(`a worker that writes bad bytes to its IPC channel (${shape}) crashes its branch only: WorkerExitedError, a new process, the kept state`, async () => {
      const branch = await device()
      await call(branch, { type: 'read', value: 1 })
      await call(branch, { type: 'read', value: 2 })
      const before = await pidOf(branch)
      const crash = next<{ error: unknown }>(branch, 'crash')

      // The call settles with the crash, not its timeout: the branch never waits on a channel it can't read.
      const error = await call(branch, { type: 'garble', bytes }, { timeout: 20_000 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(WorkerCrashedError)
      const cause = (error as { cause: unknown }).cause
      expect(cause).toBeInstanceOf(WorkerExitedError)
      expect((cause as WorkerExitedError).how).toMatch(/channel/)
      expect((await crash).error).toBe(cause)

      expect(branch.status).toBe('running')
      expect(await call(branch, { type: 'get' }, { timeout: 20_000 })).toEqual([1, 2])
      expect(await pidOf(branch)).not.toBe(before)
      expect(branch.children()[1]).toMatchObject({ incarnation: 2, restarts: 1 })
    }, 30_000)
  }

  it('bad bytes written outside a call crash the branch too; a call queued behind them is answered by the next process', async () => {
    const branch = await device()
    await call(branch, { type: 'read', value: 1 })
    const before = await pidOf(branch)
    const crash = next<{ error: unknown }>(branch, 'crash')
    cast(branch, { type: 'garble', bytes: garbage['a frame that never ends'] })
    const answer = call(branch, { type: 'get' }, { timeout: 20_000 })
    expect((await crash).error).toBeInstanceOf(WorkerExitedError)
    expect(await answer).toEqual([1])
    expect(await pidOf(branch)).not.toBe(before)
  }, 30_000)
})

describe('the frames of a child process channel', () => {
  const frames = (...messages: unknown[]) => {
    const sink: Buffer[] = []
    const stream = new PassThrough()
    stream.on('data', (chunk: Buffer) => sink.push(chunk))
    for (const message of messages) writeFrame(stream, message)
    return Buffer.concat(sink)
  }

  it('messages split at every byte, or many in one chunk, come out whole and in order', () => {
    const messages = [{ t: 'a', n: 1n, at: new Date(0), m: new Map([[1, 'x']]) }, { t: 'b', big: 'x'.repeat(70_000) }, { t: 'c' }]
    const bytes = frames(...messages)
    const one = new FrameReader()
    const split: unknown[] = []
    for (let i = 0; i < bytes.length; i += 997) split.push(...one.push(bytes.subarray(i, i + 997)))
    expect(split).toEqual(messages)
    expect(new FrameReader().push(bytes)).toEqual(messages)
  })

  it('bad bytes are seen at their first byte; frames before them are delivered; a changed payload fails its checksum', () => {
    const good = frames({ t: 'a' })
    const reader = new FrameReader()
    expect(() => reader.push(Buffer.concat([good, Buffer.from([0x00])]))).toThrow(/not a frame/)
    expect(reader.parsed).toEqual([{ t: 'a' }])
    const changed = frames({ t: 'b' })
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 0xff, changed.length - 1)
    expect(() => new FrameReader().push(changed)).toThrow(/checksum/)
  })

  it('a message that V8 can not serialize throws before anything is written', () => {
    const stream = new PassThrough()
    expect(() => writeFrame(stream, { f: () => 1 })).toThrow()
    expect(stream.readableLength).toBe(0)
  })
})
