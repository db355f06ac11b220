import { CallRecursionError, InvalidOptionError } from '../shared/errors'
import { currentDelivery } from '../worker/delivery'

/**
 * The call chain of a call to `target` made while a branch processes a
 * message (the current delivery's): the chain that led to that message, then
 * that branch. Processing is synchronous, so a call made while a delivery is
 * current was made by that branch's worker, inside that message. Throws
 * {@link CallRecursionError} when `target` is already in it (the call would
 * come back to a branch still working on the message that led to it), unless
 * the call is `reentrant`.
 */
export function chainFor(target: string, eventType: string, reentrant: unknown): readonly string[] | undefined {
  if (reentrant !== undefined && typeof reentrant !== 'boolean') throw new InvalidOptionError('reentrant', 'a boolean', reentrant)
  const delivery = currentDelivery()
  if (delivery?.branch === undefined) return undefined
  const from = delivery.branch
  const chain = delivery.chain ? [...delivery.chain, from] : [from]
  if (reentrant !== true && chain.includes(target)) throw new CallRecursionError([...chain, target], eventType)
  return chain
}
