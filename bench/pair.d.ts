import { type AnyActorLogic, type AnyActorRef } from 'xstate';
import { type AnyBranch } from '../src/index';
import { type Answering } from './logics';
/** A logic as both sides run it: `keepsake` for the branch, `emit` for the bare actor. */
export interface Contender {
    readonly kind: 'machine' | 'fromTransition';
    readonly build: (answering: Answering) => AnyActorLogic;
}
export declare const CONTENDERS: readonly Contender[];
/** A branch and a bare started actor running the same logic, side by side. */
export interface Pair {
    readonly branch: AnyBranch;
    readonly actor: AnyActorRef;
    close(): Promise<void>;
}
export declare function startPair({ build }: Contender): Promise<Pair>;
