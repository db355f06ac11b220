import type { LogicModule } from '../../../src/index';
/** An export of ./logics.ts, named by module (absolute), as an isolated branch needs it. */
export declare function logicModule(name: string): LogicModule;
/** Resolves with the next `event` the branch emits. */
export declare function next<T>(branch: {
    once(event: never, handler: never): unknown;
}, event: string): Promise<T>;
