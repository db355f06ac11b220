/**
 * Flaky printers in two pools. Printers jam at random (their driver throws);
 * each printer's branch restarts it with its page counter intact. Now and then
 * a printer is handed from one pool to the other, with its state. At the end,
 * every job is accounted for.
 *
 * Run: npx tsx examples/device-pool.ts [seed]
 */
import { assign, setup } from 'xstate'
import {
  branchSpec,
  call,
  startSupervisor,
  supervisorSpec,
  transfer,
  WorkerCrashedError,
  type AnyBranch,
  type Supervisor
} from '../src/index'

/** A small seeded PRNG (mulberry32), so a run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const seed = Number(process.argv[2] ?? 7)
const random = prng(seed)

const printer = setup({
  types: {
    context: {} as { pages: number; jobs: string[] },
    events: {} as { type: 'print'; job: string; pages: number; jam: boolean }
  }
}).createMachine({
  context: { pages: 0, jobs: [] },
  on: {
    print: {
      actions: assign(({ context, event }) => {
        // The vendor driver throws mid-job; the job is not recorded.
        if (event.jam) throw new Error(`paper jam on ${event.job}`)
        return { pages: context.pages + event.pages, jobs: [...context.jobs, event.job] }
      })
    }
  }
})

const names = ['laser-1', 'laser-2', 'inkjet-1', 'inkjet-2']
const root = await startSupervisor({
  id: 'print-shop',
  children: [supervisorSpec({ supervisor: { id: 'pool-a' } }), supervisorSpec({ supervisor: { id: 'pool-b' } })]
})
const pools = root.whichChildren().map((c) => c.child as Supervisor)
const home = new Map<string, Supervisor>()
for (const [i, name] of names.entries()) {
  const pool = pools[i % 2] as Supervisor
  await pool.startChild(branchSpec({ branch: { logic: printer, name } }))
  home.set(name, pool)
}

let jams = 0
let transfers = 0
let pagesSent = 0
const total = 200
for (let n = 1; n <= total; n++) {
  const name = names[Math.floor(random() * names.length)] as string
  const pages = 1 + Math.floor(random() * 5)
  // A jammed job is retried until it prints: the printer comes back each time.
  for (;;) {
    try {
      await call(name, { type: 'print', job: `job-${n}`, pages, jam: random() < 0.15 })
      pagesSent += pages
      break
    } catch (error) {
      if (!(error instanceof WorkerCrashedError)) throw error
      jams++
    }
  }
  if (random() < 0.05) {
    const from = home.get(name) as Supervisor
    const to = pools.find((p) => p !== from) as Supervisor
    await transfer(name, from, to)
    home.set(name, to)
    transfers++
  }
}

let printed = 0
let pages = 0
for (const pool of pools) {
  const members = pool.whichChildren().map((c) => {
    const { jobs, pages: p } = (c.child as AnyBranch).state() as { pages: number; jobs: string[] }
    printed += jobs.length
    pages += p
    return `${c.id} (${jobs.length} jobs)`
  })
  console.log(`${pool.id}: ${members.join(', ')}`)
}
console.log(`${jams} jams survived, ${transfers} transfers between pools`)
console.log(`${printed} of ${total} jobs printed, ${pages} of ${pagesSent} pages: ${printed === total && pages === pagesSent ? 'nothing lost' : 'LOST WORK'}`)
await root.stop()
