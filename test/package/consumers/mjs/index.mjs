// Plain JavaScript (.mjs), run with the peers installed or without them: each
// subpath imports either way, and what needs a missing peer fails with
// MissingDriverError naming every package to install.
import { fromTransition } from 'xstate'
import { call, cast, MissingDriverError, startBranch } from 'keepsake'
import { ClusterUnavailableError, natsPermissions, startNode } from 'keepsake/cluster'
import { PostgresStore } from 'keepsake/postgres'
import { SqliteStore } from 'keepsake/sqlite'
import { instrument } from 'keepsake/telemetry'

const counter = fromTransition((n, e) => (e.type === 'inc' ? n + 1 : n), 0)
const branch = await startBranch({ logic: counter })
cast(branch, { type: 'inc' })
branch.kill()
const afterKill = await call(branch, { type: 'get' })
await branch.stop()

async function peers(use) {
  try {
    await use()
    return 'loaded'
  } catch (error) {
    return error instanceof MissingDriverError ? { missing: error.packageNames, install: /npm install [^)]*/.exec(error.message)?.[0] } : error.constructor.name
  }
}

console.log(JSON.stringify({
  afterKill,
  clusterErrors: typeof ClusterUnavailableError === 'function' && typeof natsPermissions === 'function',
  sqlite: await peers(async () => (await SqliteStore.open(':memory:')).close()),
  postgres: await peers(() => PostgresStore.open({ config: { host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 } })),
  telemetry: await peers(async () => instrument()()),
  cluster: await peers(() => startNode({ servers: 'nats://127.0.0.1:1', cluster: 'consumer' }))
}))
