import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, cast, KeepsakeError, MemoryStore, startBranch, type AnyBranch } from '../../src/index'

// Second writers, fuzzed: two or three branches on one durable id and one
// store, in every mode and durability, sent calls and casts in random
// interleavings, with kills and restarts from the store. However they
// interleave, the store ends holding every acknowledged update, once, and
// nothing that was never sent; a refused update fails with a typed error.

const list = fromTransition((items: string[], event: { type: 'add'; item: string }) => [...items, event.item], [] as string[])

type Op = { writer: number; kind: 'call' | 'cast' | 'kill' | 'restart' }
const op: fc.Arbitrary<Op> = fc.record({ writer: fc.nat({ max: 2 }), kind: fc.constantFrom('call', 'call', 'call', 'cast', 'kill', 'restart') })

async function run(mode: 'snapshot' | 'journal', durability: 'sync' | 'batched', writerCount: number, ops: readonly Op[]): Promise<void> {
  const store = new MemoryStore()
  const durable = { store, id: 'shared', mode, durability, snapshotEvery: 3 }
  const open = () => startBranch({ logic: list, durable })
  const writers: AnyBranch[] = []
  for (let i = 0; i < writerCount; i++) writers.push(await open())
  const acked: string[] = []
  const sent = new Set<string>()
  const pending: Promise<void>[] = []
  for (const [n, { writer, kind }] of ops.entries()) {
    const w = writer % writerCount
    const item = `${w}:${n}`
    if (kind === 'kill') writers[w]!.kill()
    else if (kind === 'restart') {
      await writers[w]!.stop()
      writers[w] = await open()
    } else if (kind === 'cast') {
      sent.add(item)
      cast(writers[w]!, { type: 'add', item })
    } else {
      sent.add(item)
      pending.push(
        call(writers[w]!, { type: 'add', item }, { timeout: 5000 }).then(
          () => void acked.push(item),
          (error: unknown) => expect(error).toBeInstanceOf(KeepsakeError)
        )
      )
    }
  }
  await Promise.all(pending)
  await Promise.all(writers.map((w) => w.stop()))
  const check = await open()
  const kept = check.state() as string[]
  await check.stop()
  expect(new Set(kept).size, `no update is kept twice: ${kept.join(' ')}`).toBe(kept.length)
  for (const item of kept) expect(sent.has(item), `${item} was sent`).toBe(true)
  for (const item of acked) expect(kept, `acknowledged ${item} is kept`).toContain(item)
}

describe('second writer (fuzzed): two or three writers on one durable id', () => {
  it.each([
    ['snapshot', 'sync', 71],
    ['snapshot', 'batched', 72],
    ['journal', 'sync', 73],
    ['journal', 'batched', 74]
  ] as const)('%s mode, %s: every acknowledged update is kept once, nothing unsent appears (seed %i)', async (mode, durability, seed) => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 3 }), fc.array(op, { minLength: 1, maxLength: 40 }), (count, ops) => run(mode, durability, count, ops)),
      { numRuns: 60, seed }
    )
  }, 120_000)
})
