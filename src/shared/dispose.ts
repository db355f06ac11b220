/**
 * `Symbol.asyncDispose`, or, where the runtime lacks it, the key TypeScript's
 * `await using` helper and core-js polyfill it with.
 */
export const asyncDispose: typeof Symbol.asyncDispose = (Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')) as typeof Symbol.asyncDispose

/**
 * Gives instances of a class with `stop()` an `[asyncDispose]` that stops
 * them, so `await using branch = await startBranch(...)` stops the branch at
 * the end of the block. Declare it in the class as
 * `declare [asyncDispose]: () => Promise<void>`.
 */
export function stopOnDispose(prototype: { stop(): Promise<void> }): void {
  Object.defineProperty(prototype, asyncDispose, {
    configurable: true,
    writable: true,
    value(this: { stop(): Promise<void> }): Promise<void> {
      return this.stop()
    }
  })
}

declare global {
  interface SymbolConstructor {
    /**
     * ES2024's key for `await using`, declared here (as @types/node does) so
     * that keepsake's types compile in projects whose `lib` predates it.
     */
    readonly asyncDispose: unique symbol
  }
}
