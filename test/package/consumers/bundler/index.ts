// A front-end project (moduleResolution bundler, no Node types): keepsake's core type-checks
// without @types/node, and bundles for the browser (esbuild, platform browser).
import { fromTransition } from 'xstate'
import { call, cast, MemoryStore, startBranch } from 'keepsake'

const counter = fromTransition((n: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)
const store = new MemoryStore()
const start = () => startBranch({ logic: counter, durable: { store, id: 'browser-counter', mode: 'journal' } })

const branch = await start()
cast(branch, { type: 'inc' })
branch.kill()
const afterKill: number = await call(branch, { type: 'get' }, { dedupe: true })
await branch.stop()
const again = await start()
const afterStop = again.state()
await again.stop()
console.log(JSON.stringify({ afterKill, afterStop }))
