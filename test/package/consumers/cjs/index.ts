// A CommonJS project (nodenext, "type": "commonjs"): tsc emits require() of keepsake's CommonJS build.
import { fromTransition } from 'xstate'
import { call, cast, MissingDriverError, startBranch } from 'keepsake'
import { SqliteStore } from 'keepsake/sqlite'
import { instrument } from 'keepsake/telemetry'

const counter = fromTransition((n: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)

async function main(): Promise<void> {
  const branch = await startBranch({ logic: counter })
  cast(branch, { type: 'inc' })
  branch.kill()
  const afterKill: number = await call(branch, { type: 'get' })
  await branch.stop()
  const store = await SqliteStore.open(':memory:')
  await store.close()
  instrument()()
  console.log(JSON.stringify({ afterKill, required: typeof require === 'function', missingDriverError: typeof MissingDriverError }))
}

void main()
