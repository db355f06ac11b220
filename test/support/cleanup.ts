import { afterEach } from 'vitest'

/** An array whose items (branches, supervisors) are stopped after each test. */
export function stoppedAfterEach<T extends { stop(): Promise<void> }>(): T[] {
  const items: T[] = []
  afterEach(async () => {
    await Promise.all(items.splice(0).map((item) => item.stop()))
  })
  return items
}
