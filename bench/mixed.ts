import { createActor } from 'xstate'
import { cast, startBranch } from '../src/index'
import { counterMachine, counterReducer, type CounterEvent } from './logics'

const INC: CounterEvent = { type: 'inc' }

/**
 * With MIXED=1, a branch and an actor of the other kind than `kind` take `rounds` casts first, so the
 * code both kinds share is polymorphic as in `npm run bench` (which runs both kinds in one process);
 * `each` runs in every round too. Without MIXED, nothing.
 */
export async function mixIfAsked(kind: string, rounds: number, each?: () => void): Promise<void> {
  if (!process.env.MIXED) return
  const other = kind === 'machine' ? counterReducer : counterMachine
  const [otherBranch, otherActor] = [await startBranch({ logic: other('keepsake') }), createActor(other('emit')).start()]
  for (let i = 0; i < rounds; i++) {
    cast(otherBranch, INC)
    otherActor.send(INC)
    each?.()
  }
}
