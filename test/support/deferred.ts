/** A promise with its resolvers (Promise.withResolvers is not in Node 20). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Resolves on the branch's next `name` event. */
export function next<T = unknown>(emitter: { once(event: never, handler: never): unknown }, name: string): Promise<T> {
  return new Promise<T>((resolve) => (emitter.once as (e: string, h: (v: T) => void) => unknown)(name, resolve))
}

/** Lets promise callbacks and store I/O run a while: `n` turns of the event loop (not a sleep). */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Watches `promise`: its outcome, read at any time, is 'pending' or what it settled with. */
export function watch(promise: Promise<unknown>): { readonly outcome: unknown } {
  const watched = { outcome: 'pending' as unknown }
  promise.then(
    (value) => (watched.outcome = { value }),
    (error: unknown) => (watched.outcome = { error })
  )
  return watched
}
