import { createActor, type AnyActorLogic, type AnyActorRef } from 'xstate'
import { startBranch, type AnyBranch } from '../src/index'
import { counterMachine, counterReducer, type Answering } from './logics'

/** A logic as both sides run it: `keepsake` for the branch, `emit` for the bare actor. */
export interface Contender {
  readonly kind: 'machine' | 'fromTransition'
  readonly build: (answering: Answering) => AnyActorLogic
}

export const CONTENDERS: readonly Contender[] = [
  { kind: 'machine', build: counterMachine },
  { kind: 'fromTransition', build: counterReducer }
]

/** A branch and a bare started actor running the same logic, side by side. */
export interface Pair {
  readonly branch: AnyBranch
  readonly actor: AnyActorRef
  close(): Promise<void>
}

export async function startPair({ build }: Contender): Promise<Pair> {
  const branch = await startBranch({ logic: build('keepsake') })
  const actor = createActor(build('emit')).start()
  return {
    branch,
    actor,
    close: async () => {
      actor.stop()
      await branch.stop()
    }
  }
}
