import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createActor } from 'xstate'
import { call, startBranch, type KeeperStore } from '../src/index'
import { durableLogic, INC, INC_RECORD, openSqlite } from './journal'

// A profile harness for group commit's own cost (issue 19): BRANCHES durable
// branches (`durability: 'batched'`) with DEPTH calls in flight on each,
// against bare xstate actors sent the same events with DEPTH awaited
// `appendBatch`es of one event per actor (the cheapest bare-xstate way to do
// the same work: each event durable before it is acknowledged, one
// transaction per BRANCHES rows), and against those appendBatches alone.
//   node --cpu-prof --import tsx bench/group-loop.ts <batched|bare|raw> [samples]
//   node --import tsx bench/group-loop.ts all [samples]
// `all` alternates rounds of the three (ROUNDS, default 20) and prints medians of CPU and wall time per event.
// STORE=NORMAL (default) or FULL: a SQLite file in a temp directory with that `synchronous`.

type Side = 'batched' | 'bare' | 'raw'
const BRANCHES = 100
const DEPTH = 10
const [side = 'all', samplesArg = '200'] = process.argv.slice(2)
const samples = Number(samplesArg)
const kind = (process.env.STORE ?? 'NORMAL') as 'NORMAL' | 'FULL'

const dir = mkdtempSync(join(tmpdir(), 'keepsake-group-'))
const store: KeeperStore = await openSqlite(dir, 'group', kind)
const ids = Array.from({ length: BRANCHES }, (_, i) => `branch-${i}`)
const branches = await Promise.all(ids.map((id) => startBranch({ logic: durableLogic, durable: { store, id, mode: 'journal', durability: 'batched' } })))
const actors = ids.map(() => createActor(durableLogic, { input: undefined }).start())
const seqs: Record<'bare' | 'raw', number[]> = { bare: ids.map(() => 0), raw: ids.map(() => 0) }
const writeBatch = async (who: 'bare' | 'raw'): Promise<void> => {
  seqs[who] = await store.appendBatch(ids.map((id, i) => ({ id: `${who}-${id}`, expectedSeq: seqs[who][i] as number, events: [INC_RECORD] })))
}

async function sample(who: Side): Promise<void> {
  if (who === 'batched') await Promise.all(branches.flatMap((b) => Array.from({ length: DEPTH }, () => call(b, INC))))
  else if (who === 'bare') {
    for (let d = 0; d < DEPTH; d++) {
      for (const actor of actors) actor.send(INC)
      await writeBatch('bare')
      for (const actor of actors) actor.getSnapshot()
    }
  } else for (let d = 0; d < DEPTH; d++) await writeBatch('raw')
}

/** CPU and wall time per event (ns) of `count` samples. */
async function run(who: Side, count: number): Promise<{ cpu: number; wall: number }> {
  const [cpu, wall] = [process.cpuUsage(), performance.now()]
  for (let i = 0; i < count; i++) await sample(who)
  const used = process.cpuUsage(cpu)
  const events = count * BRANCHES * DEPTH
  return { cpu: ((used.user + used.system) * 1000) / events, wall: ((performance.now() - wall) * 1e6) / events }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

if (side === 'all') {
  const rounds = Number(process.env.ROUNDS ?? 20)
  const per = Math.max(1, Math.floor(samples / rounds))
  const sides: Side[] = ['batched', 'bare', 'raw']
  for (const who of sides) await run(who, per)
  const times: Record<Side, { cpu: number; wall: number }[]> = { batched: [], bare: [], raw: [] }
  for (let r = 0; r < rounds; r++) for (const who of r % 2 ? [...sides].reverse() : sides) times[who].push(await run(who, per))
  const m = (who: Side, k: 'cpu' | 'wall') => median(times[who].map((t) => t[k]))
  for (const k of ['cpu', 'wall'] as const) {
    console.log(
      `${kind} ${k}: batched ${m('batched', k).toFixed(0)} ns, bare xstate + appendBatch ${m('bare', k).toFixed(0)} ns, appendBatch ${m('raw', k).toFixed(0)} ns ` +
        `per event (medians of ${rounds} rounds of ${per} samples of ${BRANCHES * DEPTH}); batched / bare ${(m('batched', k) / m('bare', k)).toFixed(2)}x, ` +
        `batched / raw ${(m('batched', k) / m('raw', k)).toFixed(2)}x`
    )
  }
} else {
  const t = await run(side as Side, samples)
  console.log(`${kind} ${side}: ${t.cpu.toFixed(0)} ns CPU, ${t.wall.toFixed(0)} ns wall per event`)
}
await Promise.all(branches.map((b) => b.stop()))
for (const actor of actors) actor.stop()
await store.close()
rmSync(dir, { recursive: true, force: true })
