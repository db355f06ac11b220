import { fromTransition } from 'xstate'
import { branchSpec, call, cast, MemoryStore, startBranch, startSupervisor, whereis, WorkerCrashedError, type AnyBranch } from '../../src/index'

// The core's walk-through, written once and run wherever xstate runs (the
// browser test bundles it for Chromium): a crash, a restart with the kept
// state, a supervision tree, deduplicated calls, a durable branch over
// MemoryStore that comes back after a stop.

type CounterEvent = { type: 'inc' } | { type: 'get' } | { type: 'boom' }
const counter = fromTransition((n: number, e: CounterEvent) => {
  if (e.type === 'boom') throw new Error('boom')
  return e.type === 'inc' ? n + 1 : n
}, 0)

/** What the walk-through saw, step by step. */
export async function walkThrough(): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {}
  const branch = await startBranch({ logic: counter, name: 'walk-counter' })
  cast(branch, { type: 'inc' })
  branch.kill()
  seen.afterKill = await call('walk-counter', { type: 'get' })
  seen.crashed = await call(branch, { type: 'boom' }).then(() => false, (error: unknown) => error instanceof WorkerCrashedError)
  seen.afterCrash = await call(branch, { type: 'get' })
  seen.deduped = await Promise.all([call(branch, { type: 'get' }, { dedupe: true }), call(branch, { type: 'get' }, { dedupe: true })])
  await branch.stop()

  const root = await startSupervisor({ id: 'walk-tree', children: [branchSpec({ id: 'walk-child', branch: { logic: counter, name: 'walk-child' } })] })
  cast('walk-child', { type: 'inc' })
  ;(whereis('walk-child') as AnyBranch).kill()
  seen.treeAfterKill = await call('walk-child', { type: 'get' })
  await root.stop()

  const store = new MemoryStore()
  const durable = () => startBranch({ logic: counter, durable: { store, id: 'walk-durable', mode: 'journal' } })
  const first = await durable()
  await call(first, { type: 'inc' })
  await call(first, { type: 'inc' })
  await first.stop()
  const again = await durable()
  seen.durableAgain = again.state()
  await again.stop()
  return seen
}

/** What {@link walkThrough} sees when the core works. */
export const EXPECTED = { afterKill: 1, crashed: true, afterCrash: 1, deduped: [1, 1], treeAfterKill: 1, durableAgain: 2 }
