import { assertFunction } from '../shared/validate'
import { processWide } from '../shared/processWide'
import type {
  ActionArgs,
  ActionFunction,
  EventObject,
  MachineContext,
  ParameterizedObject
} from 'xstate'
import type { ReplyValue } from './replyTypes'

declare const replyTokenBrand: unique symbol

/**
 * The address of a call whose answer was deferred. A plain string, so it can be
 * kept in a machine's context (and persisted with it); answer it with
 * {@link replyTo}. A token outlives its caller harmlessly: replying to a call
 * that already settled (answered, timed out, crashed) does nothing.
 */
export type ReplyToken = string & { readonly [replyTokenBrand]: true }

/**
 * The worker's side of a pending call. The branch implements it; the worker
 * only records answers, and the branch settles the caller once the state the
 * answer came with is held by the keeper.
 */
export interface ReplyChannel {
  /** Records the answer. Returns false when the call has already settled. */
  answer(value: unknown): boolean
  /**
   * Tells the channel its answer will come later, through `token`. Returns the token the call is
   * answered by: `token`, or the one an earlier deferral in the same message took (a call has
   * one); undefined when the call is no longer waiting for an answer.
   */
  markDeferred(token: ReplyToken): ReplyToken | undefined
}

/** The token handed out when the message being processed is not a call. */
const NO_CALL = 'keepsake-reply:none' as ReplyToken

/**
 * One per process, so `reply()` from either copy of keepsake (ESM, CJS)
 * answers a call to a branch of either: the call whose message a worker is
 * processing right now (`current`), and deferred calls by token.
 */
const replies = processWide('replies.v1', () => ({
  tokenPrefix: `keepsake-reply:${Math.random().toString(36).slice(2, 10)}:`,
  tokenSeq: 0,
  deferred: new Map<string, ReplyChannel>(),
  current: undefined as ReplyChannel | undefined
}))

/**
 * Has `worker` deliver `event` with `channel` as the call being processed, so
 * that `reply`, `respond` and `deferReply` inside the logic address it. Nests
 * safely: a worker that synchronously messages another branch restores its
 * own call. Takes the worker and the event rather than a closure: it runs
 * for every message.
 */
export function deliverAs(channel: ReplyChannel | undefined, worker: { deliver(event: EventObject): void }, event: EventObject): void {
  const saved = swapReplyChannel(channel)
  try {
    worker.deliver(event)
  } finally {
    swapReplyChannel(saved)
  }
}

/**
 * Makes `channel` the call being processed and returns the one it replaces, for a deliverer that
 * keeps a context of its own around the delivery (the branch's courier: one scope for both, as
 * this runs for every message); it restores the returned one once the delivery ends, however it ends.
 */
export function swapReplyChannel(channel: ReplyChannel | undefined): ReplyChannel | undefined {
  const saved = replies.current
  replies.current = channel
  return saved
}

/** Forgets a deferred call's token (the call settled). */
export function releaseToken(token: ReplyToken): void {
  replies.deferred.delete(token)
}

/**
 * Answers the call being processed with `value`, from any logic (a reducer, an
 * action, a guard-free helper). Returns false when the message is not a call.
 *
 * @example
 * const counter = fromTransition((n: number, e: { type: 'inc' | 'double' }) => {
 *   if (e.type === 'double') respond(n * 2)
 *   return e.type === 'inc' ? n + 1 : n
 * }, 0)
 */
export function respond(value: unknown): boolean {
  const current = replies.current
  return current ? current.answer(value) : false
}

/**
 * An xstate action that answers the call being processed with what `fn`
 * returns. The caller's promise resolves once the state after this message is
 * kept, so an answered update can't be lost to a crash that follows it. What
 * `fn` returns is checked against the reply the event's type declares
 * (`Replies`); an event of a literal type that declares none can't be
 * answered this way.
 *
 * @example
 * // events: {} as ({ type: 'get' } & Replies<number>) | { type: 'inc' }
 * on: { get: { actions: reply(({ context }) => context.count) } }
 */
export function reply<
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends ParameterizedObject['params'] | undefined,
  TEvent extends EventObject
>(
  fn: (args: ActionArgs<TContext, TExpressionEvent, TEvent>, params: TParams) => NoInfer<ReplyValue<TExpressionEvent, TContext>>
): ActionFunction<TContext, TExpressionEvent, TEvent, TParams, never, never, never, never, never> {
  assertFunction(fn, 'reply(fn)')
  return (args, params) => {
    const current = replies.current
    if (current) current.answer(fn(args, params))
  }
}

/**
 * Takes the reply token of the call being processed and marks its answer as
 * deferred (GenServer's `:noreply`): the call stays pending until
 * {@link replyTo} is given the token, its timeout fires, or the worker crashes.
 * Called again in the same message it returns the same token. Outside a call
 * (or for a call already answered) it returns a token that answers nobody.
 *
 * @example
 * on: { load: { target: 'loading', actions: assign({ pending: () => deferReply() }) } }
 */
export function deferReply(): ReplyToken {
  const current = replies.current
  if (!current) return NO_CALL
  const fresh = `${replies.tokenPrefix}${++replies.tokenSeq}` as ReplyToken
  const token = current.markDeferred(fresh)
  // Stored only when the call took it: a token it refused would stay in the table for good.
  if (token === fresh) replies.deferred.set(token, current)
  return token ?? NO_CALL
}

/**
 * Answers a deferred call (GenServer.reply/2). Callable from anywhere: an
 * action, a promise callback, another branch. Returns false when the call is
 * gone (already answered, timed out, or its worker crashed).
 *
 * @example
 * onDone: { actions: ({ context, event }) => replyTo(context.pending, event.output) }
 */
export function replyTo(token: ReplyToken | null | undefined, value: unknown): boolean {
  // Any other value (null, undefined, a number from untyped code) is simply no key of the map.
  const channel = replies.deferred.get(token as string)
  return channel ? channel.answer(value) : false
}
