import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { startBranch } from '../../../src/index'
import { SqliteStore } from '../../../src/sqlite'
import { pick, prng } from '../../support/prng'
import { durableCounter, durableCounterModule } from './kill9-logic'

// A child process drives a durable branch with sync calls and prints each
// acknowledged one; it is SIGKILLed at a seeded moment, then the branch is
// started again from the same file: every acknowledged update must be there,
// and nothing else but at most the one in flight. Its writes reach SQLite a
// turn late, and it checks at each acknowledgement that the update is already
// in SQLite (a fast commit would otherwise hide a call resolved before it).

const root = fileURLToPath(new URL('../../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'keepsake-kill9-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const seed = Number(process.env.KEEPSAKE_SEED ?? Date.now() % 100_000)
const random = prng(seed)

/** Runs the writer until it acknowledged `acks` updates, SIGKILLs it; the last n it acknowledged, and those acknowledged before SQLite held them. */
async function runAndKill(file: string, mode: string, isolation: string, acks: number): Promise<{ last: number; early: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/keeper/durable/kill9-writer.ts', file, mode, isolation], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let last = 0
  let seen = 0
  const early: string[] = []
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // Read to the end, past the kill: acknowledgements already in the pipe when
  // the signal lands count too.
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, n] = line.split(' ')
    if (word === 'early') early.push(line)
    if (word !== 'ack') continue
    last = Number(n)
    if (++seen === acks) child.kill('SIGKILL')
  }
  await exited
  return { last, early }
}

describe(`kill -9 durability (seed ${seed}, KEEPSAKE_SEED to replay)`, () => {
  it.each([
    ['snapshot', 'none'],
    ['journal', 'none'],
    // The worker in a thread: the keeper (and the journal) are in the process that dies.
    ['journal', 'thread']
  ] as const)('%s mode, sync, isolation %s: every acknowledged update survives, nothing is invented', async (mode, isolation) => {
    const file = join(dir, `${mode}-${isolation}.db`)
    const logic = isolation === 'none' ? { logic: durableCounter } : { logic: durableCounterModule, isolation }
    for (let round = 0; round < 3; round++) {
      const { last: acked, early } = await runAndKill(file, mode, isolation, 20 + pick(random, 150))
      expect(early, `round ${round}: acknowledged before SQLite held them`).toEqual([])
      const store = await SqliteStore.open(file)
      const branch = await startBranch({ ...logic, name: `k9-check-${mode}-${round}`, durable: { store, id: 'k9', mode } })
      const { total, adds } = branch.state()
      await branch.stop()
      await store.close()
      expect([acked, acked + 1], `round ${round}: acknowledged ${acked}, recovered ${adds}`).toContain(adds)
      expect(total).toBe((adds * (adds + 1)) / 2)
    }
  }, 60_000)
})
