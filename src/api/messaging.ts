import type { AnyActorLogic, EventFromLogic, EventObject } from 'xstate'
import { InvalidOptionError, UnknownNameError } from '../shared/errors'
import { isInstance } from '../shared/validate'
import { processWide } from '../shared/processWide'
import { Branch, branchNames, type AnyBranch } from '../supervisor/Branch'
import type { CallOptions, CastOptions, ReplyFor } from '../supervisor/types'

/** A branch, or the name it was started with. */
export type BranchTarget = AnyBranch | string

/**
 * Names whose messages are typed: augment it with the logic each name runs
 * (as xstate's `Register`), and `call('account', ...)` checks its event and
 * types its reply as a call to the branch would. Names not listed take any
 * event and reply `unknown`.
 *
 * @example
 * declare module 'keepsake' {
 *   interface Register {
 *     names: { account: typeof account }
 *   }
 * }
 */
export interface Register {}

/** The names listed in {@link Register}, with their logic. */
export type RegisteredNames = Register extends { names: infer N extends Record<string, AnyActorLogic> } ? N : {}

/** A name listed in {@link Register}. */
export type RegisteredName = keyof RegisteredNames & string

/** A name that is not listed in {@link Register} (`never` for one that is). */
export type UnregisteredName<N extends string> = N extends RegisteredName ? never : N

/** A target whose logic is known: a branch, or a name listed in {@link Register}. */
export type TypedTarget = AnyBranch | RegisteredName

/** The logic behind a typed target. */
export type LogicOf<T extends TypedTarget> = T extends Branch<infer L> ? L : T extends RegisteredName ? RegisteredNames[T] : never

/** The events a typed target's logic accepts. */
export type EventOf<T extends TypedTarget> = EventFromLogic<LogicOf<T>>

/** What a call with event `E` to typed target `T` resolves to (see `Replies`). */
export type ReplyOf<T extends TypedTarget, E extends EventObject> = ReplyFor<LogicOf<T>, E>

/** The live branch registered under `name`, if any (Erlang's `whereis`); typed by its logic for a name listed in {@link Register}. */
export function whereis<N extends RegisteredName>(name: N): Branch<RegisteredNames[N]> | undefined
export function whereis(name: string): AnyBranch | undefined
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
  // A branch of this copy (most targets) is told at once; the rest is out of line, so every message's path stays small.
  return Branch._isOwn(target) ? target : resolveOther(target)
}

/** A branch of another copy of keepsake, or a name. */
function resolveOther(target: unknown): AnyBranch | NameRoute {
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
export function call<T extends TypedTarget, const E extends EventOf<T>>(target: T, event: E, options?: CallOptions): Promise<ReplyOf<T, E>>
export function call<N extends string, const E extends EventObject>(target: UnregisteredName<N>, event: E, options?: CallOptions): Promise<unknown>
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
export function callAll<T extends TypedTarget, const E extends EventOf<T>>(target: T, events: readonly E[], options?: CallOptions): Promise<ReplyOf<T, E>>
export function callAll<N extends string, const E extends EventObject>(target: UnregisteredName<N>, events: readonly E[], options?: CallOptions): Promise<unknown>
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
export function cast<T extends TypedTarget, const E extends EventOf<T>>(target: T, event: E, options?: CastOptions): void
export function cast<N extends string, const E extends EventObject>(target: UnregisteredName<N>, event: E, options?: CastOptions): void
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
export function send<T extends TypedTarget, const E extends EventOf<T>>(target: T, message: E, options?: CastOptions): E
export function send<N extends string, const E extends EventObject>(target: UnregisteredName<N>, message: E, options?: CastOptions): E
export function send(target: BranchTarget, message: EventObject, options?: CastOptions): EventObject {
  return resolve(target).send(message, options)
}
