import type { EventFromLogic, EventObject } from 'xstate'
import { InvalidOptionError, UnknownNameError } from '../shared/errors'
import { isInstance } from '../shared/validate'
import { processWide } from '../shared/processWide'
import { Branch, branchNames, type AnyBranch } from '../supervisor/Branch'
import type { CallOptions, CastOptions, ReplyFor } from '../supervisor/types'

/** A branch, or the name it was started with. */
export type BranchTarget = AnyBranch | string

/** The events a branch's logic accepts. */
export type EventOf<B extends AnyBranch> = B extends Branch<infer L, infer _R> ? EventFromLogic<L> : never

/** The reply type of a call with event `E` to branch `B`. */
export type ReplyOf<B extends AnyBranch, E> = B extends Branch<infer L, infer R> ? ReplyFor<L, R, E> : never

/** The live branch registered under `name`, if any (Erlang's `whereis`). */
export function whereis(name: string): AnyBranch | undefined {
  if (typeof name !== 'string') throw new InvalidOptionError('name', 'a string', name)
  return branchNames.lookup(name)
}

/**
 * @internal What takes the messages for a name that no branch of this process
 * holds (the cluster's route to the node that owns it): the same four methods
 * as a branch, with the same errors.
 */
export interface NameRoute {
  call(event: EventObject, options?: CallOptions): Promise<unknown>
  callAll(events: readonly EventObject[], options?: CallOptions): Promise<unknown>
  cast(event: EventObject, options?: CastOptions): void
  send(message: EventObject, options?: CastOptions): EventObject
}

/** The one resolver of the process (whichever copy of keepsake installed it). */
const names = processWide('nameResolver.v1', (): { routeFor: ((name: string) => NameRoute | undefined) | undefined } => ({ routeFor: undefined }))

/**
 * @internal Installs the lookup asked for names the local registry does not
 * know (keepsake/cluster does, so call/cast/send reach branches on other
 * nodes); `undefined` removes it. Returns the one it replaced.
 */
export function _setNameResolver(resolver: ((name: string) => NameRoute | undefined) | undefined): typeof names.routeFor {
  const previous = names.routeFor
  names.routeFor = resolver
  return previous
}

function resolve(target: unknown): AnyBranch | NameRoute {
  if (isInstance(target, Branch)) return target
  if (typeof target === 'string') {
    const found = branchNames.lookup(target) ?? names.routeFor?.(target)
    if (!found) throw new UnknownNameError(target)
    return found
  }
  throw new InvalidOptionError('target', 'a Branch or the name of a running branch', target)
}

/**
 * Sends `event` to a branch and resolves with the reply: what the logic
 * answered with `reply`/`respond`/`replyTo`, or the state after the event
 * when it answered nothing. Reaches the current worker whatever restarts
 * happened; a call that arrives while the worker restarts waits for it.
 * Rejects with `CallTimeoutError` (default timeout 5000 ms),
 * `WorkerCrashedError` (the message crashed the worker, which restarted without
 * it), `BranchStoppedError`, `UnknownNameError` or a validation error.
 *
 * @example
 * const count = await call(branch, { type: 'get' }, { timeout: 1000 })
 */
export function call<B extends AnyBranch, const E extends EventOf<B>>(
  target: B,
  event: E,
  options?: CallOptions
): Promise<ReplyOf<B, E>>
export function call<E extends EventObject>(target: string, event: E, options?: CallOptions): Promise<unknown>
export function call(target: BranchTarget, event: EventObject, options?: CallOptions): Promise<unknown> {
  try {
    return resolve(target).call(event, options)
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * Sends several events to a branch as one message, applied all or none (see
 * `Branch.callAll`): gen_persist's persist_all. Resolves like `call`.
 *
 * @example
 * await callAll(account, [{ type: 'debit', cents: 500 }, { type: 'fee', cents: 25 }])
 */
export function callAll<B extends AnyBranch, const E extends EventOf<B>>(target: B, events: readonly E[], options?: CallOptions): Promise<ReplyOf<B, E>>
export function callAll<E extends EventObject>(target: string, events: readonly E[], options?: CallOptions): Promise<unknown>
export function callAll(target: BranchTarget, events: readonly EventObject[], options?: CallOptions): Promise<unknown> {
  try {
    return resolve(target).callAll(events, options)
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * Sends `event` to a branch without waiting (after `delay` ms if given).
 * Throws a typed error for a bad event, an unknown name or a stopped branch.
 *
 * @example
 * cast('counter', { type: 'inc' })
 * cast(branch, { type: 'tick' }, { delay: 1000 })
 */
export function cast<B extends AnyBranch, const E extends EventOf<B>>(target: B, event: E, options?: CastOptions): void
export function cast<E extends EventObject>(target: string, event: E, options?: CastOptions): void
export function cast(target: BranchTarget, event: EventObject, options?: CastOptions): void {
  resolve(target).cast(event, options)
}

/**
 * Sends a raw message to a branch and returns it (Kernel.send/2). Delivered
 * like `cast`.
 *
 * @example
 * const sent = send('counter', { type: 'inc' })
 */
export function send<B extends AnyBranch, const E extends EventOf<B>>(target: B, message: E, options?: CastOptions): E
export function send<E extends EventObject>(target: string, message: E, options?: CastOptions): E
export function send(target: BranchTarget, message: EventObject, options?: CastOptions): EventObject {
  return resolve(target).send(message, options)
}
