// An ES module project (nodenext) with every peer installed: the core and every subpath load, type-check and run.
import { fromTransition } from 'xstate'
import { call, cast, MissingDriverError, startBranch, startSupervisor } from 'keepsake'
import { startNode } from 'keepsake/cluster'
import { startInspector } from 'keepsake/inspector'
import { PostgresStore } from 'keepsake/postgres'
import { SqliteStore } from 'keepsake/sqlite'
import { instrument } from 'keepsake/telemetry'

const counter = fromTransition((n: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)
const branch = await startBranch({ logic: counter })
cast(branch, { type: 'inc' })
branch.kill()
const afterKill: number = await call(branch, { type: 'get' })
await branch.stop()

const root = await startSupervisor({ id: 'consumer', children: [] })
const inspector = await startInspector({ root })
const page = (await fetch(inspector.url)).status
await inspector.close()
await root.stop()

/** 'loaded', the packages a MissingDriverError names, or the class of another error. */
async function peers(use: () => Promise<unknown>): Promise<unknown> {
  try {
    await use()
    return 'loaded'
  } catch (error) {
    return error instanceof MissingDriverError ? error.packageNames : (error as Error).constructor.name
  }
}

console.log(JSON.stringify({
  afterKill,
  page,
  sqlite: await peers(async () => (await SqliteStore.open(':memory:')).close()),
  telemetry: await peers(async () => instrument()()),
  postgres: await peers(() => PostgresStore.open({ config: { host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 } })),
  cluster: await peers(() => startNode({ servers: 'nats://127.0.0.1:1', cluster: 'consumer' }))
}))
