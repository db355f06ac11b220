import { spawn } from 'node:child_process'
import { Worker as ThreadWorker } from 'node:worker_threads'
import { call, startBranch } from '../src/index'
import { bigItems, type CounterEvent } from './logics'

// Fixed work for an instruction count of the isolated call (issue 19): `warm` calls to the ~1 MB branch of
// bench/isolation.ts (or round trips of its bare echo), then `n` more. Run it under callgrind twice, with two
// `n`, and divide the difference of the totals by the difference of `n`, for each process (the parent and the
// host or echo child: --trace-children=yes). It exits without stopping the branch, so a child process ends by
// its channel closing and writes its own count (a stopped branch's host is killed by SIGKILL, which writes nothing).
// The host can't run --single-threaded (NODE_OPTIONS refuses it): at a few thousand calls its compiler and GC
// threads decide its figure (bench/RESULTS.md, iso19d), so compare pieces with loops of their own, or use large n.
//   valgrind --tool=callgrind --trace-children=yes node --single-threaded --import tsx bench/isolated-count.ts <thread|process> <keepsake|echo> <n> [warm]

const [mode = 'process', side = 'keepsake', nArg = '2000', warmArg = '500'] = process.argv.slice(2)
const GET: CounterEvent = { type: 'get' }
const ECHO = "m => reply({ type: 'reply', value: 0 })"

let roundTrip: () => Promise<unknown>
if (side === 'keepsake') {
  const logic = { module: new URL('./isolated-logic.ts', import.meta.url), export: 'counter' }
  const branch = await startBranch({ logic, isolation: mode as 'thread' | 'process', input: { items: bigItems() } })
  roundTrip = () => call(branch, GET)
} else {
  let settle: ((value: unknown) => void) | undefined
  let send: (event: CounterEvent) => void
  if (mode === 'thread') {
    const thread = new ThreadWorker(`const { parentPort } = require('node:worker_threads'); const reply = (m) => parentPort.postMessage(m); parentPort.on('message', ${ECHO})`, { eval: true })
    thread.on('message', (m) => settle?.(m))
    send = (e) => thread.postMessage(e)
  } else {
    const child = spawn(process.execPath, ['-e', `const reply = (m) => process.send(m); process.on('message', ${ECHO})`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
    child.on('message', (m) => settle?.(m))
    send = (e) => child.send(e)
  }
  roundTrip = () => new Promise((resolve) => ((settle = resolve), send(GET)))
}
for (let i = 0, warm = Number(warmArg); i < warm; i++) await roundTrip()
for (let i = 0, n = Number(nArg); i < n; i++) await roundTrip()
process.exit(0)
