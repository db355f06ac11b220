/**
 * A flaky device, isolated: its driver (examples/devices/flaky-driver.ts)
 * sometimes hangs in a synchronous call and sometimes aborts the process it
 * runs in. The branch runs it in a child process with a watchdog, so a hang
 * or a native crash costs one measurement and nothing else: the readings
 * taken so far are kept, and the next measurement goes to a fresh driver.
 *
 * Run: npx tsx examples/flaky-device.ts
 */
import { call, startBranch, WorkerCrashedError, WorkerExitedError, WorkerHungError } from '../src/index'
import type { flakyDriver } from './devices/flaky-driver'

const device = await startBranch<typeof flakyDriver>({
  logic: { module: './devices/flaky-driver.ts', export: 'flakyDriver' },
  isolation: 'process',
  maxProcessingMs: 500
})

let hung = 0
let aborted = 0
for (let seq = 1; seq <= 20; seq++) {
  try {
    const value = await call(device, { type: 'measure', seq }, { timeout: 30_000 })
    console.log(`measure ${seq}: ${value} hPa`)
  } catch (error) {
    if (error instanceof WorkerHungError) {
      hung++
      console.log(`measure ${seq}: the driver hung; it was terminated after 500 ms and restarted`)
    } else if (error instanceof WorkerCrashedError && error.cause instanceof WorkerExitedError) {
      aborted++
      console.log(`measure ${seq}: the driver's process ${error.cause.how}; a new one was started`)
    } else throw error
  }
}
const { kept, mean } = await call(device, { type: 'summary' }, { timeout: 30_000 })
console.log(`${hung} hangs and ${aborted} aborts survived; ${kept} readings kept, mean ${mean} hPa; the device is ${device.status}`)
await device.stop()
