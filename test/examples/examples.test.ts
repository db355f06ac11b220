import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

/** Runs an example the way `npm run example` does, in its own process. */
async function runExample(file: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, timeout: 60_000 })
  return stdout.trim().split('\n')
}

describe('examples', () => {
  it('thermometer.ts tells its story: crashes, restarts, and nothing lost', async () => {
    expect(await runExample('examples/thermometer.ts')).toEqual([
      'stats: { count: 3, mean: 22 }',
      'worker #1 crashed: sensor returned NaN',
      'worker #2 started from the kept state',
      'the bad reading was rejected: WorkerCrashedError',
      'stats after the crash: { count: 3, mean: 22 }',
      'worker #2 crashed: device unplugged',
      'worker #3 started from the kept state',
      'stats after the unplug: { count: 4, mean: 22.25 }',
      'calibrate: offset set to -0.5',
      'stats after calibrating: { count: 5, mean: 22.5 }',
      'stopped (shutdown) with 5 readings kept'
    ])
  })

  it.each(['7', '42', '1234'])('device-pool.ts with seed %s: jams and transfers, and every job accounted for', async (seed) => {
    const lines = await runExample('examples/device-pool.ts', seed)
    expect(lines[0]).toMatch(/^pool-a: /)
    expect(lines[1]).toMatch(/^pool-b: /)
    expect(lines[2]).toMatch(/^[1-9]\d* jams survived, \d+ transfers between pools$/)
    expect(lines[3]).toMatch(/^200 of 200 jobs printed, (\d+) of \1 pages: nothing lost$/)
  })

  it('flaky-device.ts survives its driver hanging and aborting, and keeps every reading', async () => {
    const lines = await runExample('examples/flaky-device.ts')
    expect(lines.filter((l) => l.endsWith('hPa'))).toHaveLength(15)
    expect(lines.filter((l) => l.includes('the driver hung'))).toEqual([3, 10, 17].map((n) => `measure ${n}: the driver hung; it was terminated after 500 ms and restarted`))
    expect(lines.filter((l) => l.includes('aborted'))).toEqual([5, 14].map((n) => `measure ${n}: the driver's process aborted (SIGABRT); a new one was started`))
    expect(lines.at(-1)).toBe('3 hangs and 2 aborts survived; 15 readings kept, mean 1004.57 hPa; the device is running')
  }, 60_000)

  it('cluster.ts: three nodes, a worker moved, a node killed, its workers back with their counts', async () => {
    expect(await runExample('examples/cluster.ts')).toEqual([
      'node a runs counter-1, counter-2, counter-3, counter-4',
      'node b counted 3 on each, through the cluster: counter-1 is 3',
      'moved counter-1 to node c: c runs counter-1; node b still reads 3',
      'killed node a (kill -9), which ran counter-2, counter-3, counter-4',
      'counter-2, counter-3, counter-4 came back on the surviving nodes with counts 3, 3, 3: nothing lost'
    ])
  }, 60_000)

  it('cluster-pool.ts: twelve carts over three nodes, the busiest killed, another leaving: every cart back with its items', async () => {
    expect(await runExample('examples/cluster-pool.ts')).toEqual([
      'node a added tea and jam to 12 carts; they are spread over 3 nodes',
      'killed the node holding the most carts (kill -9): its carts come back on their next message',
      'every cart it held answers again with its items: nothing lost',
      'another node left gracefully; all 12 carts answer from node a: true'
    ])
  }, 60_000)

  it('durable-counter.ts carries on after it ran, and after it was killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keepsake-example-'))
    try {
      const file = join(dir, 'counter.db')
      expect(await runExample('examples/durable-counter.ts', file, '3')).toEqual(['recovered count: 0', 'count: 1', 'count: 2', 'count: 3'])
      expect(await runExample('examples/durable-counter.ts', file, '2')).toEqual(['recovered count: 3', 'count: 4', 'count: 5'])

      const endless = spawn(process.execPath, ['--import', 'tsx', 'examples/durable-counter.ts', file], { cwd: root })
      const exited = new Promise((resolve) => endless.once('exit', resolve))
      for await (const line of createInterface({ input: endless.stdout })) {
        if (line === 'count: 1000') break
      }
      endless.kill('SIGKILL')
      await exited
      const [recovered] = await runExample('examples/durable-counter.ts', file, '0')
      expect(Number(recovered?.replace('recovered count: ', ''))).toBeGreaterThanOrEqual(1000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('inspector.ts serves its demo plant at the URL it prints, shows the tree and takes actions with the token, and stops on SIGTERM', async () => {
    const demo = spawn(process.execPath, ['--import', 'tsx', 'examples/inspector.ts'], { cwd: root })
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)))
    try {
      let found: RegExpExecArray | null = null
      for await (const line of createInterface({ input: demo.stdout })) {
        found = /^inspector: (http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)$/.exec(line)
        if (found) break
      }
      const [, url, token] = found ?? []
      if (!url || !token) throw new Error('the example printed no inspector URL')
      const page = await fetch(url)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<title>keepsake inspector</title>')
      // The tree is behind the token, as everything but the page.
      expect((await fetch(new URL('api/view', url))).status).toBe(401)
      const view = (await (await fetch(new URL('api/view', url), { headers: { Authorization: `Bearer ${token}` } })).json()) as { totals: { supervisors: number; branches: number }; roots: { key: string; children: { id: string; key: string }[] }[] }
      expect(view.totals).toMatchObject({ supervisors: 4, branches: 54 })
      const scheduler = view.roots[0]?.children.find((c) => c.id === 'scheduler')
      const kill = (auth: string) =>
        fetch(new URL('api/actions', url), { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify({ action: 'kill', key: scheduler?.key }) })
      expect((await kill('Bearer wrong-token-wrong-token')).status).toBe(401)
      // The demo's own jams may have restarted it already: any incarnation.
      expect(await (await kill(`Bearer ${token}`)).json()).toEqual({ ok: true, done: expect.stringMatching(/^killed worker #\d+ of scheduler$/) })
    } finally {
      demo.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  }, 60_000)
})
