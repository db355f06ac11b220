import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Worker as ThreadWorker } from 'node:worker_threads'
import { call, startBranch } from '../src/index'
import { bigItems, type CounterEvent } from './logics'

// A profile harness for the isolated call (issue 19): rounds of `n` awaited calls to a worker
// thread or child process holding ~1 MB of state, alternating with rounds of a bare round trip
// of the same event (as bench/isolation.ts's echo); prints each one's µs per call, wall and CPU
// (both sides: this process's threads and its child processes). On a machine shared with other
// work, the rounds that used the least CPU are the least disturbed: their ratio moves least.
//   node --cpu-prof --import tsx bench/isolated-loop.ts <thread|process> [n] [rounds]

const [mode = 'thread', nArg = '3000', roundsArg = '10'] = process.argv.slice(2)
const n = Number(nArg)
const GET: CounterEvent = { type: 'get' }
const LOGIC = { module: new URL('./isolated-logic.ts', import.meta.url), export: 'counter' }
const ECHO = "m => reply({ type: 'reply', value: 0 })"

const branch = await startBranch({ logic: LOGIC, isolation: mode as 'thread' | 'process', input: { items: bigItems() } })
let settle: ((value: unknown) => void) | undefined
let send: (event: CounterEvent) => void
let close: () => void
if (mode === 'thread') {
  const thread = new ThreadWorker(`const { parentPort } = require('node:worker_threads'); const reply = (m) => parentPort.postMessage(m); parentPort.on('message', ${ECHO})`, { eval: true })
  thread.on('message', (m) => settle?.(m))
  send = (e) => thread.postMessage(e)
  close = () => void thread.terminate()
} else {
  const child = spawn(process.execPath, ['-e', `const reply = (m) => process.send(m); process.on('message', ${ECHO})`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  child.on('message', (m) => settle?.(m))
  send = (e) => child.send(e)
  close = () => void child.kill()
}
const echo = (e: CounterEvent) => new Promise((resolve) => ((settle = resolve), send(e)))

/** CPU time of this process (all its threads) and of its child processes, in µs (the children's in 10 ms ticks). */
function cpu(): number {
  const own = process.cpuUsage()
  let children = 0
  for (const task of readdirSync('/proc/self/task')) {
    for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      children += (Number(fields[11]) + Number(fields[12])) * 10_000
    }
  }
  return own.user + own.system + children
}

const cpuOf = new Map<string, number[]>([['kept', []], ['bare', []]])
async function round(fn: () => Promise<unknown>, side: string): Promise<number> {
  const began = performance.now()
  const cpuBegan = cpu()
  for (let i = 0; i < n; i++) await fn()
  cpuOf.get(side)?.push((cpu() - cpuBegan) / n)
  return ((performance.now() - began) * 1000) / n
}

const kept: number[] = []
const bare: number[] = []
for (let r = 0; r < Number(roundsArg); r++) {
  if (r % 2 === 0) kept.push(await round(() => call(branch, GET), 'kept')), bare.push(await round(() => echo(GET), 'bare'))
  else bare.push(await round(() => echo(GET), 'bare')), kept.push(await round(() => call(branch, GET), 'kept'))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const ratios = kept.map((k, i) => k / (bare[i] as number))
console.log(`${mode}: keepsake ${median(kept).toFixed(1)} µs (best ${Math.min(...kept).toFixed(1)}), bare ${median(bare).toFixed(1)} µs (best ${Math.min(...bare).toFixed(1)}); ratio median ${median(ratios).toFixed(2)}x, best/best ${(Math.min(...kept) / Math.min(...bare)).toFixed(2)}x`)
const [kc, bc] = [median(cpuOf.get('kept') as number[]), median(cpuOf.get('bare') as number[])]
const [kmin, bmin] = [Math.min(...(cpuOf.get('kept') as number[])), Math.min(...(cpuOf.get('bare') as number[]))]
console.log(`${mode}: CPU per call (both sides): keepsake ${kc.toFixed(1)} µs (least ${kmin.toFixed(1)}), bare ${bc.toFixed(1)} µs (least ${bmin.toFixed(1)}); ${(kc / bc).toFixed(2)}x (least/least ${(kmin / bmin).toFixed(2)}x)`)
// KEEP_HOST=1: exit without stopping the branch, so a profiled host process ends by its own exit (its channel closes) and writes its profile.
if (process.env.KEEP_HOST) process.exit(0)
await branch.stop()
close()
