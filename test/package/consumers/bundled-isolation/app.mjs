// An app bundled with esbuild (docs/bundling.md): its worker runs in a worker thread,
// from keepsake's isolated host bundled beside it, with its logic module bundled too.
import { call, cast, startBranch, WorkerHungError } from 'keepsake'

const branch = await startBranch({ logic: { module: './counter.js', export: 'counter' }, isolation: 'thread', maxProcessingMs: 2000 })
cast(branch, { type: 'inc' })
const hung = await call(branch, { type: 'hang' }, { timeout: 20000 }).catch((error) => error instanceof WorkerHungError)
const afterHang = await call(branch, { type: 'get' }, { timeout: 20000 })
await branch.stop()
console.log(JSON.stringify({ hung, afterHang }))
