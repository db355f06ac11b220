/**
 * Memory per key of a keyed pool, and per plain branch, run in its own
 * process with --expose-gc: the same keys (branches) measured active (each
 * with its worker) and passivated (its state kept, no actor). Prints a JSON
 * report; `KEYS` sets the number of keys and of branches (default 10,000).
 */
import { fromTransition } from 'xstate'
import { call, startBranch, startPool, type AnyBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

function heap(): number {
  for (let i = 0; i < 3; i++) gc?.()
  return process.memoryUsage().heapUsed
}

const keys = Number(process.env.KEYS ?? 10_000)
const counter = fromTransition((s: { n: number }, e: { type: 'inc' }) => (e.type === 'inc' ? { n: s.n + 1 } : s), { n: 0 })
const clock = new ManualClock()
const pool = await startPool({ logic: counter, clock, idleTimeout: 1000 })

const before = heap()
await Promise.all(Array.from({ length: keys }, (_, i) => pool.call(`key-${i}`, { type: 'inc' })))
const active = heap()
clock.advance(1000)
const passivated = heap()
const all = pool.keys().every((key) => pool.branch(key)?.status === 'passivated')
await pool.stop()

const branchesBefore = heap()
const branches: AnyBranch[] = []
for (let i = 0; i < keys; i++) branches.push(await startBranch({ logic: counter, clock, idleTimeout: 1000 }))
await Promise.all(branches.map((b) => call(b, { type: 'inc' })))
const branchesActive = heap()
clock.advance(1000)
const branchesPassivated = heap()
const allBranches = branches.every((b) => b.status === 'passivated')
await Promise.all(branches.map((b) => b.stop()))

console.log(
  JSON.stringify({
    keys,
    allPassivated: all && allBranches,
    activeBytesPerKey: Math.round((active - before) / keys),
    passivatedBytesPerKey: Math.round((passivated - before) / keys),
    activeBytesPerBranch: Math.round((branchesActive - branchesBefore) / keys),
    passivatedBytesPerBranch: Math.round((branchesPassivated - branchesBefore) / keys)
  })
)
