/**
 * A demo plant to look at: flaky sensors under a one_for_all supervisor, two
 * pools of printers that jam at random and are moved between the pools now
 * and then, and a scheduler. Prints the inspector's URL (with its token, so
 * the actions work) and runs until stopped.
 *
 * Run: npm run example:inspector [-- port]   (Ctrl-C stops it)
 */
import { randomBytes } from 'node:crypto'
import { fromTransition } from 'xstate'
import { branchSpec, cast, startSupervisor, supervisorSpec, transfer, type Supervisor } from '../src/index'
import { startInspector } from '../src/inspector'

interface Device {
  readonly jobs: number
  readonly serial: string
  /** A secret the inspector must never show: its default redaction hides `apiKey`. */
  readonly apiKey: string
}

type DeviceEvent = { type: 'work'; jam: boolean }

/** A device's driver: counts jobs, and throws when the hardware acts up. */
const device = fromTransition(
  (state: Device, event: DeviceEvent): Device => {
    if (event.jam) throw new Error(`${state.serial}: paper jam`)
    return { ...state, jobs: state.jobs + 1 }
  },
  ({ input }: { input: { serial: string } }) => ({ jobs: 0, serial: input.serial, apiKey: `sk-${randomBytes(8).toString('hex')}` })
)

const spec = (id: string) => branchSpec({ id, branch: { logic: device, name: id, input: { serial: id.toUpperCase() } } })
const printers = (pool: string, from: number) => Array.from({ length: 25 }, (_, i) => spec(`${pool}-printer-${from + i}`))

const plant = await startSupervisor({
  id: 'plant',
  children: [
    supervisorSpec({ supervisor: { id: 'sensors', strategy: 'one_for_all', maxRestarts: 50, maxSeconds: 10, children: ['thermometer', 'hygrometer', 'barometer'].map(spec) } }),
    supervisorSpec({ supervisor: { id: 'pool-a', maxRestarts: 50, children: printers('a', 1) } }),
    supervisorSpec({ supervisor: { id: 'pool-b', maxRestarts: 50, children: printers('b', 26) } }),
    spec('scheduler')
  ]
})
const pools = ['pool-a', 'pool-b'].map((id) => plant.whichChildren().find((c) => c.id === id)?.child as Supervisor)
const names = plant.tree().children?.flatMap((c) => (c.children ?? [{ id: c.id }]).map((n) => n.id)) ?? []

const token = process.env.INSPECTOR_TOKEN ?? randomBytes(24).toString('base64url')
const inspector = await startInspector({
  root: plant,
  port: Number(process.argv[2] ?? process.env.PORT ?? 0),
  token
})
console.log(`inspector: ${inspector.url}#token=${token}`)

// Traffic: a few hundred jobs a second, about one in 150 of them jams its device.
const traffic = setInterval(() => {
  for (let i = 0; i < 20; i++) {
    const name = names[Math.floor(Math.random() * names.length)] as string
    try {
      cast(name, { type: 'work', jam: Math.random() < 1 / 150 })
    } catch {
      // restarting or moving right now: the next tick finds it again
    }
  }
}, 50)

// Now and then a printer moves to the other pool, with its state.
const moves = setInterval(() => {
  const from = pools[Math.random() < 0.5 ? 0 : 1] as Supervisor
  const to = pools.find((p) => p !== from) as Supervisor
  const movable = from.whichChildren().filter((c) => c.status === 'running')
  const child = movable[Math.floor(Math.random() * movable.length)]
  if (child) transfer(child.id, from, to).catch(() => {})
}, 3000)

async function stop(): Promise<void> {
  clearInterval(traffic)
  clearInterval(moves)
  await inspector.close()
  await plant.stop()
  process.exit(0)
}
process.once('SIGINT', () => void stop())
process.once('SIGTERM', () => void stop())
