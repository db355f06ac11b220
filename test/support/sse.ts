/** One server-sent event. */
export interface SseEvent {
  readonly event: string
  readonly data: unknown
}

/**
 * Reads a server-sent event stream with fetch: `next(test)` resolves with the
 * first event (from the start of the stream, or after the last one returned)
 * that passes `test`, or rejects after `timeout` ms naming what it waited for.
 */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<{ next(test: (e: SseEvent) => boolean, what: string, timeout?: number): Promise<SseEvent>; close(): void }> {
  const abort = new AbortController()
  const res = await fetch(url, { signal: abort.signal, headers })
  if (!res.ok || !res.body) throw new Error(`the stream answered ${res.status}`)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  const events: SseEvent[] = []
  let buffer = ''
  let waiting: (() => void) | undefined
  let ended = false
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event && data !== undefined) events.push({ event, data: JSON.parse(data) as unknown })
        }
        waiting?.()
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true
      waiting?.()
    }
  })()
  let read = 0
  return {
    async next(test, what, timeout = 5000) {
      const deadline = Date.now() + timeout
      for (;;) {
        while (read < events.length) {
          const event = events[read++] as SseEvent
          if (test(event)) return event
        }
        if (ended) throw new Error(`the stream ended before ${what}`)
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no ${what} within ${timeout} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiting = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    },
    close: () => abort.abort()
  }
}
