import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { branchSpec, call, startBranch, startDynamicSupervisor } from '../src/index'
import { startInspector, type Inspector } from '../src/inspector'
import { Activity } from '../src/inspector/activity'
import { NodeKeys } from '../src/inspector/keys'
import { buildModel, viewOf } from '../src/inspector/model'
import { interleave, type Task } from './harness'
import { counterMachine, type CounterEvent } from './logics'
import type { Profile } from './profile'
import { ratioAtMost, row, type Group } from './report'
import { summarizeTask } from './stats'

const GET: CounterEvent = { type: 'get' }
const TOKEN = 'bench-token-0123456789abcdef'
const HOSTILE_CLIENTS = 16

/**
 * Clients without the token, in a process of their own: on `go` (a line on
 * stdin) each asks, as fast as it is answered, for the view, an unknown key's
 * state, the timeline, the stream, an action and a session with a wrong
 * token, and the process prints `going` once every client had an answer; on
 * `stop` they stop asking and it prints `stopped`. The process lives through
 * both sides of the comparison, so only the asking differs.
 */
const HOSTILE = `
const [url, clients] = process.argv.slice(1)
const asks = [['GET', 'api/view'], ['GET', 'api/state?key=zzz'], ['GET', 'api/timeline'], ['GET', 'api/events'], ['POST', 'api/actions'], ['POST', 'api/session']]
let going = false, answered = 0, running = 0
const client = async (n) => {
  running++
  for (let i = n; going; i++) {
    const [method, path] = asks[i % asks.length]
    try {
      const res = await fetch(new URL(path, url), { method, headers: { Authorization: 'Bearer wrong-token-0123456789', 'Content-Type': 'application/json' }, body: method === 'POST' ? '{"action":"kill","key":"1"}' : undefined })
      await res.arrayBuffer()
    } catch {}
    if (i === n && ++answered === Number(clients)) console.log('going')
  }
  if (--running === 0) console.log('stopped')
}
process.stdin.setEncoding('utf8').on('data', (line) => {
  if (line.trim() === 'go') {
    going = true
    answered = 0
    for (let n = 0; n < Number(clients); n++) client(n)
  } else going = false
})
console.log('idle')
`

/** The hostile clients' process, aimed at `url`: `go()` and `stop()` resolve once they all ask, or all stopped. */
async function hostileClients(url: string): Promise<{ go(): Promise<void>; stop(): Promise<void>; end(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', HOSTILE, url, String(HOSTILE_CLIENTS)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const said = async (expected: string) => {
    const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
    if (line.toString().trim() !== expected) throw new Error(`the hostile clients said ${line.toString()}, not ${expected}`)
  }
  await said('idle')
  return {
    go: async () => {
      child.stdin?.write('go\n')
      await said('going')
    },
    stop: async () => {
      child.stdin?.write('stop\n')
      await said('stopped')
    },
    end: async () => {
      child.kill()
      await once(child, 'exit')
    }
  }
}

/** A busy branch's call as a request handler makes it: from an event-loop turn of its own, so it waits behind whatever I/O the turn carries. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * What the inspector costs: a call while it runs (no page open, and a page
 * streaming), against the same call with nothing attached; and one update of
 * a 10,000-branch tree (walk, one page's view, its JSON) against the
 * supervisor's own `tree()` walk of the same tree.
 */
export async function inspectorGroup(profile: Profile): Promise<Group> {
  // The smoke run only proves it still runs: a smaller tree.
  const branches = profile.quick ? 1000 : 10_000
  const branch = await startBranch({ logic: counterMachine('keepsake') })
  const ask = () => call(branch, GET)
  let inspector: Inspector | undefined
  let page: AbortController | undefined
  const tasks: Task[] = [
    { name: 'off', async: true, fn: ask },
    {
      name: 'no page',
      async: true,
      fn: ask,
      before: async () => void (inspector = await startInspector()),
      after: () => inspector?.close()
    },
    {
      name: 'a page',
      async: true,
      fn: ask,
      before: async () => {
        inspector = await startInspector()
        page = new AbortController()
        const res = await fetch(new URL('api/events', inspector.url), { signal: page.signal })
        void res.body?.pipeTo(new WritableStream()).catch(() => {})
      },
      after: async () => {
        page?.abort()
        await inspector?.close()
      }
    }
  ]
  const calls = await interleave(tasks, profile.fast)

  // The attack: an inspector with a token, a page streaming with it, and 16 clients without it hammering.
  const guarded = await startInspector({ token: TOKEN })
  const streaming = new AbortController()
  const opened = await fetch(new URL('api/events', guarded.url), { signal: streaming.signal, headers: { Authorization: `Bearer ${TOKEN}` } })
  void opened.body?.pipeTo(new WritableStream()).catch(() => {})
  const hostile = await hostileClients(guarded.url)
  const turnAndAsk = async () => {
    await turn()
    return ask()
  }
  const attack = await interleave(
    [
      { name: 'quiet', async: true, fn: turnAndAsk },
      {
        name: 'hammered',
        async: true,
        fn: turnAndAsk,
        before: () => hostile.go(),
        after: () => hostile.stop()
      }
    ],
    profile.fast
  )
  await hostile.end()
  streaming.abort()
  await guarded.close()
  await branch.stop()

  const pool = await startDynamicSupervisor({ id: 'bench-pool' })
  for (let i = 0; i < branches; i++) await pool.startChild(branchSpec({ id: `w-${i}`, branch: { logic: counterMachine('keepsake') } }))
  const keys = new NodeKeys()
  const activity = new Activity(keys, Date.now, () => {})
  const filter = { q: '', status: '', sort: 'start', limit: 100 } as const
  let bytes = 0
  const walks = await interleave(
    [
      { name: 'tree()', async: false, fn: () => pool.tree() },
      { name: 'update', async: false, fn: () => (bytes = JSON.stringify(viewOf(buildModel([pool], keys, activity, Date.now()), filter)).length) },
      { name: 'update, sorted by rate', async: false, fn: () => JSON.stringify(viewOf(buildModel([pool], keys, activity, Date.now()), { ...filter, sort: 'rate' })) }
    ],
    profile.slow
  )
  activity.close()
  await pool.stop()

  const off = summarizeTask(calls, 'off', 'nothing attached')
  const quiet = summarizeTask(attack, 'quiet', 'token, a page')
  const hammered = summarizeTask(attack, 'hammered', `token, a page, ${HOSTILE_CLIENTS} hostile clients`)
  const attackRatio = hammered.p50 / quiet.p50
  console.log(`inspector: ${HOSTILE_CLIENTS} hostile clients move a busy branch's call p50 by ${attackRatio.toFixed(2)}x (target < 1.3x)`)
  const tree = summarizeTask(walks, 'tree()', 'tree()')
  return {
    id: 'inspector',
    title: `inspector: what it costs a call (request/reply, machine), and one update of ${branches.toLocaleString('en-US')} branches`,
    anchorTitle: 'reference',
    rows: [
      row({ name: 'call, inspector running, no page open', subject: summarizeTask(calls, 'no page', 'inspector'), floor: off, target: ratioAtMost(1.3) }),
      row({ name: 'call, inspector running, one page streaming', subject: summarizeTask(calls, 'a page', 'inspector + page'), floor: off, target: ratioAtMost(1.3) }),
      row({ name: `busy branch's call (own event-loop turn), ${HOSTILE_CLIENTS} clients without the token hammering`, subject: hammered, floor: quiet, target: ratioAtMost(1.3) }),
      row({ name: `update: walk + view + JSON, ${branches.toLocaleString('en-US')} branches`, subject: summarizeTask(walks, 'update', 'update'), floor: tree }),
      row({ name: `update sorted by rate, ${branches.toLocaleString('en-US')} branches`, subject: summarizeTask(walks, 'update, sorted by rate', 'sorted'), floor: tree })
    ],
    figures: { viewBytes: bytes, hostileRatio: attackRatio },
    notes: [
      'A call pays the inspector one message counter (a WeakMap lookup and an increment) and the probe dispatch; ' +
        'a page adds nothing per call: the tree is walked once per update (every second; after a crash at once, but at most every 100 ms or ten times the last walk).',
      `The attack line: an inspector with a token and a page streaming with it; ${HOSTILE_CLIENTS} clients without the token, in another process, ` +
        'ask as fast as they are answered for the view, an unknown state, the timeline, the stream, an action and a session. ' +
        'Each sample is one event-loop turn (setImmediate) and a call, so it waits behind whatever the turn serves; the floor is the same without the clients.',
      `The update's floor is \`tree()\` on the same dynamic supervisor of ${branches.toLocaleString('en-US')} branches; ` +
        `the update also reads each branch's mailbox, rate, intensity and last crash, and cuts a view of 100 children ` +
        `(${bytes.toLocaleString('en-US')} bytes of JSON sent to each page per update).`
    ]
  }
}
