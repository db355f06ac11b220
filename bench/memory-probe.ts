import { createActor } from 'xstate'
import { BenchClock } from './clock'
import { CONTENDERS } from './pair'

// Child process of the memory group: `memory-probe.ts <keepsake|passivated|xstate> <kind> <count>`.
// Starts `count` branches (or bare started actors) of one logic, keeps them
// all alive, and prints the heap they added per instance as JSON. A process of
// its own per measurement, so nothing else's garbage or caches are counted.
// `passivated` starts branches with an `idleTimeout` on a manual clock, then
// moves the clock past it so every one of them passivates before the heap is
// read (each must report status `passivated`).
//
// KEEPSAKE_MODULE=<path> takes startBranch from a build of src/ instead of
// src/ through tsx, to size what tsx's transform adds (see RESULTS.md).

type Library = typeof import('../src/index')
const { startBranch } = (await import(process.env.KEEPSAKE_MODULE || '../src/index')) as Library

const SIDES = ['keepsake', 'passivated', 'xstate'] as const
type Side = (typeof SIDES)[number]

const [sideArg, kind, countArg] = process.argv.slice(2)
const side = sideArg as Side
const count = Number(countArg)
const contender = CONTENDERS.find((c) => c.kind === kind)
const gc = (globalThis as { gc?: () => void }).gc
if (!contender || !SIDES.includes(side) || !(count > 0) || !gc) {
  throw new Error(`usage: node --expose-gc --import tsx bench/memory-probe.ts <${SIDES.join('|')}> <machine|fromTransition> <count>`)
}

const IDLE_MS = 1000
const clock = new BenchClock()
const logic = contender.build(side === 'xstate' ? 'emit' : 'keepsake')
const make =
  side === 'xstate'
    ? () => createActor(logic).start()
    : side === 'passivated'
      ? () => startBranch({ logic, clock, idleTimeout: IDLE_MS })
      : () => startBranch({ logic })

function settledHeap(): number {
  for (let i = 0; i < 3; i++) gc?.()
  return process.memoryUsage().heapUsed
}

// Sized up front so the array's own growth slack is not counted; a few
// instances first, so code and one-time structures are not counted either.
const WARM = 100
const alive: unknown[] = new Array(WARM + count).fill(undefined)
for (let i = 0; i < WARM; i++) alive[i] = await make()
if (side === 'passivated') clock.advance(IDLE_MS)
const before = settledHeap()
for (let i = WARM; i < WARM + count; i++) alive[i] = await make()
if (side === 'passivated') {
  clock.advance(IDLE_MS)
  const awake = alive.filter((b) => (b as { status: string }).status !== 'passivated').length
  if (awake > 0) throw new Error(`${awake} of ${alive.length} branches did not passivate`)
}
const after = settledHeap()

// Reading `alive` after the second measurement keeps every instance reachable
// through it; a module variable never read again may be collected early.
process.stdout.write(`${JSON.stringify({ bytesPerInstance: (after - before) / count, alive: alive.length })}\n`)
