/** How often `waitUntil` looks again. */
const POLL_MS = 5

/**
 * Resolves true once `done()` holds, false if `timeoutMs` pass first. It
 * polls: for rare waits (a transfer, a move) a poll costs less than a hook
 * on every message's path would.
 */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  return true
}
