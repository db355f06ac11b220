import type { AnyActorLogic } from 'xstate'
import { InvalidOptionError } from '../shared/errors'
import { isInstance, readOptions } from '../shared/validate'
import { Branch, branchNames } from '../supervisor/Branch'
import type { ChildSpec, StartContext } from '../supervisor/childSpec'
import { Supervisor, type SupervisorOptions } from '../supervisor/Supervisor'
import type { BranchOptions } from '../supervisor/types'
import type { BranchTarget } from './messaging'
import { anchorLogicModule } from '../worker/isolated/options'

/**
 * Starts a supervisor and its children, in order. If a child fails to start,
 * the ones already started are stopped and it rejects with `ChildStartError`.
 *
 * @example
 * const root = await startSupervisor({
 *   strategy: 'one_for_all',
 *   children: [branchSpec({ branch: { logic: printer, name: 'printer' } }), branchSpec({ branch: { logic: scanner, name: 'scanner' } })]
 * })
 */
export function startSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  return Supervisor._start(options, false)
}

/**
 * Starts a dynamic supervisor (Elixir's DynamicSupervisor, OTP's
 * simple_one_for_one): no children at first, `startChild` adds them (ids are
 * optional), `maxChildren` caps them, and a child that stops for good is
 * forgotten.
 *
 * @example
 * const pool = await startDynamicSupervisor({ maxChildren: 100 })
 * const device = await pool.startChild(branchSpec({ branch: { logic: deviceLogic } }))
 */
export function startDynamicSupervisor(options: Omit<SupervisorOptions, 'children' | 'strategy' | 'autoShutdown'> = {}): Promise<Supervisor> {
  return Supervisor._start(options, true)
}

/** Options of `branchSpec`. */
export interface BranchSpecOptions<L extends AnyActorLogic> extends Omit<ChildSpec, 'start' | 'type'> {
  /** The branch to start (`startBranch`'s options). The child id defaults to its name. */
  readonly branch: BranchOptions<L>
  /**
   * When the supervisor restarts the branch (after the branch itself gave up,
   * or as a bystander), start it from the state it had instead of its initial
   * state. Off by default, as in Peeper: a state that kept crashing the worker
   * may be the poison.
   */
  readonly keepState?: boolean
}

/**
 * A child spec that starts a branch.
 *
 * @example
 * branchSpec({ branch: { logic: counter, name: 'counter' }, restart: 'transient', keepState: true })
 */
export function branchSpec<L extends AnyActorLogic>(options: BranchSpecOptions<L>): ChildSpec {
  const o = readOptions(options, 'branchSpec options')
  const { branch: given, keepState, ...child } = o as unknown as BranchSpecOptions<L>
  const branch = anchorLogicModule(given, branchSpec)
  const id = child.id ?? readOptions(branch, 'branch').name
  if (keepState !== undefined && typeof keepState !== 'boolean') throw new InvalidOptionError('keepState', 'a boolean', keepState)
  return {
    ...child,
    // Checked with the spec (a bad one is named there, as the spec's id, with its value).
    id: id as string | undefined,
    type: 'worker',
    start: ({ previous }: StartContext) =>
      Branch._open(branch, keepState && previous instanceof Branch ? previous._finalImage() : undefined)
  }
}

/** Options of `supervisorSpec`. */
export interface SupervisorSpecOptions extends Omit<ChildSpec, 'start' | 'type'> {
  /** The supervisor to start (`startSupervisor`'s options). The child id defaults to its id. */
  readonly supervisor: SupervisorOptions
}

/**
 * A child spec that starts a supervisor: trees nest to any depth. Its
 * shutdown defaults to `'infinity'` (its own children's shutdowns bound it).
 *
 * @example
 * startSupervisor({ children: [supervisorSpec({ supervisor: { id: 'devices', children: [...] } })] })
 */
export function supervisorSpec(options: SupervisorSpecOptions): ChildSpec {
  const o = readOptions(options, 'supervisorSpec options')
  const { supervisor, ...child } = o as unknown as SupervisorSpecOptions
  const id = child.id ?? readOptions(supervisor, 'supervisor').id
  return {
    ...child,
    // Checked with the spec (a bad one is named there, as the spec's id, with its value).
    id: id as string | undefined,
    type: 'supervisor',
    start: () => Supervisor._start(supervisor, false)
  }
}

/**
 * Moves a live branch from one supervisor to another: its state (through
 * xstate's persisted form, as it would cross a process), tables, name,
 * queued messages and pending deferred calls. Afterwards only `to` lists it,
 * and its handle and name reach it as before; messages sent during the move
 * are delivered once, in order. If `from` does not hold it, or `to` is
 * stopping or full, it rejects with a typed error and the branch stays put.
 *
 * @example
 * await transfer('printer', poolA, poolB)
 */
export async function transfer(target: BranchTarget, from: Supervisor, to: Supervisor): Promise<void> {
  if (!isInstance(from, Supervisor)) throw new InvalidOptionError('from', 'a Supervisor', from)
  if (!isInstance(to, Supervisor)) throw new InvalidOptionError('to', 'a Supervisor', to)
  const branch = typeof target === 'string' ? branchNames.lookup(target) : target
  if (!isInstance(branch, Branch)) throw new InvalidOptionError('target', 'a Branch or the name of a running branch', target)
  if (from === to) return
  await from._transfer(branch, to)
}
