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
  const tree = summarizeTask(walks, 'tree()', 'tree()')
  return {
    id: 'inspector',
    title: `inspector: what it costs a call (request/reply, machine), and one update of ${branches.toLocaleString('en-US')} branches`,
    anchorTitle: 'reference',
    rows: [
      row({ name: 'call, inspector running, no page open', subject: summarizeTask(calls, 'no page', 'inspector'), floor: off, target: ratioAtMost(1.3) }),
      row({ name: 'call, inspector running, one page streaming', subject: summarizeTask(calls, 'a page', 'inspector + page'), floor: off, target: ratioAtMost(1.3) }),
      row({ name: `update: walk + view + JSON, ${branches.toLocaleString('en-US')} branches`, subject: summarizeTask(walks, 'update', 'update'), floor: tree }),
      row({ name: `update sorted by rate, ${branches.toLocaleString('en-US')} branches`, subject: summarizeTask(walks, 'update, sorted by rate', 'sorted'), floor: tree })
    ],
    figures: { viewBytes: bytes },
    notes: [
      'A call pays the inspector one message counter (a WeakMap lookup and an increment) and the probe dispatch; ' +
        'a page adds nothing per call: the tree is walked once per update (every second; after a crash at once, but at most every 100 ms or ten times the last walk).',
      `The update's floor is \`tree()\` on the same dynamic supervisor of ${branches.toLocaleString('en-US')} branches; ` +
        `the update also reads each branch's mailbox, rate, intensity and last crash, and cuts a view of 100 children ` +
        `(${bytes.toLocaleString('en-US')} bytes of JSON sent to each page per update).`
    ]
  }
}
