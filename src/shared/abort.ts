import { InvalidOptionError } from './errors'

/**
 * A call's `signal`, checked: absent, or an `AbortSignal` (by shape, so a
 * signal of another realm or a polyfill passes).
 */
export function readSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined
  const s = signal as Partial<AbortSignal> | null
  if (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function' || typeof s.removeEventListener !== 'function') {
    throw new InvalidOptionError('signal', 'an AbortSignal (from an AbortController, or AbortSignal.timeout(ms))', signal)
  }
  return signal as AbortSignal
}

/**
 * `promise`, or a rejection with `signal.reason` as soon as `signal` aborts
 * (DOM's convention, as `fetch` and xstate's `waitFor` do); the listener goes
 * once either settles. For work that can't be taken back once sent.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}
