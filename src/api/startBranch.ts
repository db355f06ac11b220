import type { AnyActorLogic } from 'xstate'
import { Branch } from '../supervisor/Branch'
import type { BranchOptions } from '../supervisor/types'
import { anchorLogicModule } from '../worker/isolated/options'

/**
 * Starts a branch: a worker running `logic`, a keeper holding its last good
 * state, and a supervisor that restarts the worker from that state when it
 * crashes. Rejects with a typed error for bad options, a taken name
 * (`NameTakenError`) or a worker that fails its first start (`BranchStartError`).
 *
 * @example
 * const counter = fromTransition((n: number, e: { type: 'inc' | 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)
 * const branch = await startBranch({ logic: counter, name: 'counter' })
 * cast('counter', { type: 'inc' })
 * await call(branch, { type: 'get' }) // 1
 */
export async function startBranch<L extends AnyActorLogic>(options: BranchOptions<L>): Promise<Branch<L>> {
  return Branch._open<L>(anchorLogicModule(options, startBranch))
}
