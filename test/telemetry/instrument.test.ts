import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { branchSpec, call, cast, MemoryStore, startBranch, startDynamicSupervisor, transfer, WorkerCrashedError, type AnyBranch } from '../../src/index'
import { instrument } from '../../src/telemetry'
import { counterMachine } from '../support/logics'

/** A reader that collects when asked: what a periodic exporter would have sent at that moment. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter()
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
let reader = new OnDemandReader()
let stops: (() => unknown)[] = []

function setUp(): void {
  exporter.reset()
  reader = new OnDemandReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  stops.push(instrument({ tracerProvider, meterProvider }), () => meterProvider.shutdown())
}

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
  stops = []
})

async function collect(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect()
  return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]))
}

/** The data points of a metric as [attributes, value] pairs (a histogram's value is its count). */
function points(metric: MetricData | undefined): [Record<string, unknown>, number][] {
  if (!metric) return []
  return metric.dataPoints.map((p) => [p.attributes, metric.dataPointType === DataPointType.HISTOGRAM ? (p.value as { count: number }).count : (p.value as number)])
}

/** A store whose snapshot writes wait for `gate`, so a sync-durable branch's messages queue meanwhile. */
class GatedStore extends MemoryStore {
  gate: Promise<void> = Promise.resolve()
  release: () => void = () => undefined
  override async saveSnapshot(...args: Parameters<MemoryStore['saveSnapshot']>): Promise<boolean> {
    await this.gate
    return super.saveSnapshot(...args)
  }
}

const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name)

describe('telemetry', () => {
  it('a call is one span: its branch, event type, outcome, and queue wait apart from processing', async () => {
    setUp()
    const branch = await startBranch({ logic: counterMachine, name: 'traced' })
    cast(branch, { type: 'inc' })
    expect(await call(branch, { type: 'get' })).toBe(1)
    await branch.stop()
    const [span, ...more] = spans('keepsake.call')
    expect(more).toEqual([]) // casts get no span
    expect(span?.attributes).toMatchObject({
      'keepsake.branch.id': 'traced',
      'keepsake.event.type': 'get',
      'keepsake.call.outcome': 'ok',
      'keepsake.call.queue_ms': expect.any(Number),
      'keepsake.call.processing_ms': expect.any(Number)
    })
    expect(span?.status.code).toBe(0) // unset: not an error
    const metrics = await collect()
    expect(points(metrics.get('keepsake.call.duration'))).toEqual([[{ 'keepsake.event.type': 'get', 'keepsake.call.outcome': 'ok' }, 1]])
    expect(metrics.get('keepsake.call.duration')?.descriptor.unit).toBe('ms')
  })

  it("a crash: the call's span fails with a keepsake.crash event; a standalone span tells of the restart; crashes counted by reason", async () => {
    setUp()
    const branch = await startBranch({ logic: counterMachine, name: 'crashy' })
    await expect(call(branch, { type: 'crash' })).rejects.toBeInstanceOf(WorkerCrashedError)
    branch.kill(new RangeError('rehearsal'))
    await branch.stop()

    const [failed] = spans('keepsake.call')
    expect(failed?.attributes).toMatchObject({ 'keepsake.call.outcome': 'error', 'keepsake.call.error': 'WORKER_CRASHED' })
    expect(failed?.status).toMatchObject({ code: 2, message: expect.stringContaining('action crashed') })
    expect(failed?.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['keepsake.crash', 'action crashed']])

    // The kill failed no call: its crash gets a span of its own.
    const [killed, ...moreCrashes] = spans('keepsake.crash')
    expect(moreCrashes).toEqual([])
    expect(killed?.events[0]?.attributes).toMatchObject({
      'keepsake.branch.id': 'crashy',
      'exception.type': 'RangeError',
      'exception.message': 'rehearsal',
      'keepsake.crash.reason': 'RangeError',
      'keepsake.incarnation': 2
    })
    expect(spans('keepsake.restart').map((s) => s.events[0]?.attributes?.['keepsake.incarnation'])).toEqual([2, 3])

    const metrics = await collect()
    expect(points(metrics.get('keepsake.crashes')).sort()).toEqual([
      [{ 'keepsake.crash.reason': 'Error' }, 1],
      [{ 'keepsake.crash.reason': 'RangeError' }, 1]
    ])
    expect(points(metrics.get('keepsake.restarts'))).toEqual([[{ 'keepsake.level': 'worker' }, 2]])
    expect(points(metrics.get('keepsake.call.duration'))).toEqual([[{ 'keepsake.event.type': 'crash', 'keepsake.call.outcome': 'error' }, 1]])
  })

  it("a transfer is a keepsake.transfer event naming both supervisors, counted, and not a restart; a supervisor's restart counts as a child's", async () => {
    setUp()
    const [east, west] = await Promise.all([startDynamicSupervisor({ id: 'east' }), startDynamicSupervisor({ id: 'west' })])
    stops.push(() => Promise.all([east.stop(), west.stop()]))
    await east.startChild(branchSpec({ branch: { logic: counterMachine, name: 'mover', intensity: { maxRestarts: 0 } } }))
    await transfer('mover', east, west)
    const [moved] = spans('keepsake.transfer')
    expect(moved?.events[0]?.attributes).toMatchObject({ 'keepsake.branch.id': 'mover', 'keepsake.transfer.from': 'east', 'keepsake.transfer.to': 'west' })
    expect(spans('keepsake.restart')).toEqual([])
    ;(west.whichChildren()[0]?.child as AnyBranch).kill() // gives up (maxRestarts 0): west restarts it
    await west.whenIdle()
    const metrics = await collect()
    expect(points(metrics.get('keepsake.transfers'))).toEqual([[{}, 1]])
    expect(points(metrics.get('keepsake.restarts'))).toEqual([[{ 'keepsake.level': 'child', 'keepsake.supervisor.id': 'west' }, 1]])
  })

  it('a passivation is a keepsake.passivate event; gauges count live branches by status and queued messages', async () => {
    setUp()
    const idle = await startBranch({ logic: counterMachine, idleTimeout: 1 })
    stops.push(() => idle.stop())
    await new Promise((resolve) => idle.once('passivate', resolve))
    expect(spans('keepsake.passivate').map((s) => s.events[0]?.name)).toEqual(['keepsake.passivate'])

    // A durable branch (sync) whose store holds its writes: messages queue behind the first.
    const store = new GatedStore()
    const queued = await startBranch({ logic: counterMachine, durable: { store, id: 'gated' } })
    stops.push(() => queued.stop({ timeout: 0 }))
    store.gate = new Promise((resolve) => (store.release = resolve))
    for (let i = 0; i < 4; i++) cast(queued, { type: 'inc' })
    const metrics = await collect()
    const live = Object.fromEntries(points(metrics.get('keepsake.branches.live')).map(([a, v]) => [a['keepsake.branch.status'], v]))
    expect(live).toEqual({ passivated: 1, running: 1 })
    expect(points(metrics.get('keepsake.mailbox.length'))).toEqual([[{}, 3]])
    expect(points(metrics.get('keepsake.mailbox.max'))).toEqual([[{}, 3]])
    store.release()
  })

  it('stops tracing once removed', async () => {
    setUp()
    for (const stop of stops.splice(0).reverse()) await stop()
    const branch = await startBranch({ logic: counterMachine })
    await call(branch, { type: 'get' })
    await branch.stop()
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})
