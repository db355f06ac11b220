import type { EventObject } from 'xstate'

/**
 * Declares, on an event's type, what a call with that event resolves to: the
 * value the logic answers it with (`reply`, `respond`, `replyTo`). Declared
 * once, in the logic's event types, it types every `call` of that event, and
 * `reply()` in the machine is checked against it.
 *
 * @example
 * events: {} as { type: 'deposit'; amount: number } | ({ type: 'balance' } & Replies<number>)
 */
export interface Replies<T> {
  /** Type-only: never set, never read at run time. */
  readonly '~reply'?: readonly [T]
}

/** The reply event `Ev` declares. */
type Declared<Ev> = Ev extends { readonly '~reply'?: readonly [infer T] } ? T : never

/** What `reply(fn)` may answer an event with when its type declares no reply: nothing (the message is an error). */
export interface ReplyNotDeclared<K extends string> {
  readonly '~error': `the event '${K}' declares no reply: give its type '& Replies<T>'`
}

/**
 * What a machine with context `C` may answer event `Ev` with: its declared
 * reply; for an event that declares none, its context (what the call resolves
 * to anyway), or anything if the event's type is not a literal (it can't
 * declare one).
 */
export type ReplyValue<Ev extends EventObject, C> = Ev extends unknown
  ? '~reply' extends keyof Ev
    ? Declared<Ev>
    : string extends Ev['type']
      ? unknown
      : C | ReplyNotDeclared<Ev['type']>
  : never

/** The members of event union `Ev` a call with event type `K` can be. */
type EventsOfType<Ev extends EventObject, K> = Ev extends unknown ? ([Ev['type']] extends [K] ? Ev : [K] extends [Ev['type']] ? Ev : never) : never

/**
 * What a call with an event of type `K` resolves to, for a logic with events
 * `Ev` and state `S`: the reply its event declares; else, for an event of a
 * literal type, the state after it (`reply()` can't answer an event that
 * declares no reply); else `unknown`.
 */
export type ReplyOfEvent<Ev extends EventObject, K, S> = 0 extends 1 & Ev
  ? unknown // a logic of unknown events (as a name lookup's branch has)
  : EventsOfType<Ev, K> extends infer M
    ? M extends EventObject
      ? '~reply' extends keyof M
        ? Declared<M>
        : string extends M['type']
          ? unknown
          : S
      : never
    : never
