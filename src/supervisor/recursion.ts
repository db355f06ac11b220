import { CallRecursionError, InvalidOptionError } from '../shared/errors'
import { processWide } from '../shared/processWide'

/**
 * The message being processed right now, if any: which branch is processing
 * it, and the chain of branches whose calls led to it. Set by the branch
 * around each delivery (two writes, no allocation); processing is
 * synchronous, so a call made while it is set was made by that branch's
 * worker, inside that message.
 */
export const delivery = processWide('delivery.v1', (): { branch: string | undefined; chain: readonly string[] | undefined } => ({
  branch: undefined,
  chain: undefined
}))

/**
 * The call chain of a call to `target` made while `delivery.branch` processes
 * a message: the chain that led to that message, then that branch. Throws
 * {@link CallRecursionError} when `target` is already in it (the call would
 * come back to a branch still working on the message that led to it), unless
 * the call is `reentrant`.
 */
export function chainFor(target: string, eventType: string, reentrant: unknown): readonly string[] | undefined {
  if (reentrant !== undefined && typeof reentrant !== 'boolean') throw new InvalidOptionError('reentrant', 'a boolean', reentrant)
  const from = delivery.branch
  if (from === undefined) return undefined
  const chain = delivery.chain ? [...delivery.chain, from] : [from]
  if (reentrant !== true && chain.includes(target)) throw new CallRecursionError([...chain, target], eventType)
  return chain
}
