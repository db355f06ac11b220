import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { call, startBranch } from '../src/index'
import { observe } from '../src/supervisor/observe'
import { instrument } from '../src/telemetry'
import { interleave, type Task } from './harness'
import { counterMachine, type CounterEvent } from './logics'
import type { Profile } from './profile'
import { ratioAtMost, row, type Group } from './report'
import { summarizeTask } from './stats'

const GET: CounterEvent = { type: 'get' }

/** Attaches something for a task's turn and removes it after, so the other tasks run without it. */
function attached(name: string, attach: () => () => unknown, fn: () => unknown): Task {
  let detach: (() => unknown) | undefined
  return {
    name,
    async: true,
    fn,
    before: () => void (detach = attach()),
    after: () => detach?.()
  }
}

/**
 * What observing costs a call: nothing attached (the shipped default), an
 * observer with no hooks (the dispatch alone), `instrument()` on the
 * OpenTelemetry API's no-op providers (the package installed, no SDK), and
 * `instrument()` on the SDK with an in-memory exporter.
 */
export async function telemetryGroup(profile: Profile): Promise<Group> {
  const branch = await startBranch({ logic: counterMachine('keepsake') })
  const ask = () => call(branch, GET)
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const meterProvider = new MeterProvider()
  const tasks: Task[] = [
    { name: 'off', async: true, fn: ask },
    attached('empty observer', () => observe({}), ask),
    attached('no-op API', () => instrument(), ask),
    attached('SDK', () => {
      const stop = instrument({ tracerProvider, meterProvider })
      return () => (stop(), exporter.reset())
    }, ask)
  ]
  const pool = await interleave(tasks, profile.fast)
  await branch.stop()
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])
  const off = summarizeTask(pool, 'off', 'nothing attached')
  return {
    id: 'telemetry',
    title: 'telemetry: what observing costs a call (request/reply round trip, machine)',
    anchorTitle: 'reference',
    rows: [
      row({ name: 'an observer with no hooks', subject: summarizeTask(pool, 'empty observer', 'probe on'), floor: off, target: ratioAtMost(1.1) }),
      row({ name: 'instrument(), no SDK registered', subject: summarizeTask(pool, 'no-op API', 'no-op API'), floor: off, target: ratioAtMost(1.5) }),
      row({ name: 'instrument(), SDK + in-memory exporter', subject: summarizeTask(pool, 'SDK', 'SDK'), floor: off })
    ],
    notes: [
      'The floor of every row is the same call with nothing attached, which is what every program that ' +
        'does not import keepsake/telemetry or the inspector runs: each hook then is one property read and ' +
        'one branch (`if (probe.on)`), three per call, and allocates nothing; compare its p50 with the call group.',
      'Each task attaches its observer for its own turn only (untimed), so the tasks share rounds without sharing observers.'
    ]
  }
}
