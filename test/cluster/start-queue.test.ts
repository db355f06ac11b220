import { describe, expect, it } from 'vitest'
import { StartQueue } from '../../src/cluster/startQueue'

/** A start that resolves when `finish(key)` is called, recording when it began. */
function starts() {
  const began: string[] = []
  const pending = new Map<string, () => void>()
  const start = (key: string) => () =>
    new Promise<void>((resolve) => {
      began.push(key)
      pending.set(key, resolve)
    })
  const finish = async (key: string) => {
    pending.get(key)?.()
    pending.delete(key)
    // Its `finally` runs, and the next start begins, in later microtasks.
    for (let i = 0; i < 5; i++) await Promise.resolve()
  }
  return { began, start, finish }
}

describe('StartQueue (the starts of durable keys a node took over in moves)', () => {
  it('runs at most `limit` starts at once, first come first started, and a hurried key next', async () => {
    const queue = new StartQueue(2)
    const { began, start, finish } = starts()
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) queue.run(key, start(key))
    expect(began).toEqual(['k1', 'k2'])
    expect(queue.size).toBe(3)
    // A message waits for k5: it starts before k3 and k4, which came first.
    queue.hurry('k5')
    // Not queued (running, or unknown): nothing changes.
    queue.hurry('k1')
    queue.hurry('nope')
    await finish('k1')
    expect(began).toEqual(['k1', 'k2', 'k5'])
    await finish('k2')
    await finish('k5')
    expect(began).toEqual(['k1', 'k2', 'k5', 'k3', 'k4'])
    expect(queue.size).toBe(0)
  })

  it('takes a limit below 1 as 1', async () => {
    const queue = new StartQueue(0)
    const { began, start, finish } = starts()
    queue.run('a', start('a'))
    queue.run('b', start('b'))
    expect(began).toEqual(['a'])
    await finish('a')
    expect(began).toEqual(['a', 'b'])
  })
})
