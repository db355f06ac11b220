import { afterEach } from 'vitest'

/** An array whose items (branches, supervisors) are stopped after each test. */
export function stoppedAfterEach<T extends { stop(): Promise<void> }>(): T[] {
  const items: T[] = []
  afterEach(async () => {
    await Promise.all(items.splice(0).map((item) => item.stop()))
  })
  return items
}

/** `start` wrapped so that what it starts is stopped after each test; `items` also takes what a test starts otherwise. */
export function startedForEach<A extends unknown[], T extends { stop(): Promise<void> }>(start: (...args: A) => Promise<T>): { items: T[]; start: (...args: A) => Promise<T> } {
  const items = stoppedAfterEach<T>()
  return {
    items,
    start: async (...args) => {
      const item = await start(...args)
      items.push(item)
      return item
    }
  }
}

/** For tests that start branches themselves: `open` stops what it awaited after each test; `stop` stops one now. */
export function openedForEach<T extends { stop(): Promise<void> }>(): { open<B extends T>(item: Promise<B>): Promise<B>; stop(item: T): Promise<void> } {
  const items = stoppedAfterEach<T>()
  return {
    async open(item) {
      const opened = await item
      items.push(opened)
      return opened
    },
    async stop(item) {
      items.splice(items.indexOf(item), 1)
      await item.stop()
    }
  }
}
