import { fileURLToPath } from 'node:url'
import type { LogicModule } from '../../../src/index'

/** An export of ./logics.ts, named by module (absolute), as an isolated branch needs it. */
export function logicModule(name: string): LogicModule {
  return { module: fileURLToPath(new URL('./logics.ts', import.meta.url)), export: name }
}

/** Resolves with the next `event` the branch emits. */
export function next<T>(branch: { once(event: never, handler: never): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => (branch.once as (e: string, h: (v: T) => void) => void)(event, resolve))
}
