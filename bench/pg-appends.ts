/**
 * Concurrent appends on PostgresStore (issue 21's churn test found them
 * slow): `stores` store instances (as many node processes would open), each
 * with `writers` appenders at once, each appending one event at a time to a
 * journal of its own, for a few seconds; prints the appends/s of each setting.
 * On a private PostgreSQL (test/support/postgres).
 *
 * Run: `npx tsx bench/pg-appends.ts [seconds]`
 */
import { PostgresStore } from '../src/postgres'
import { startPostgres } from '../test/support/postgres'

const SECONDS = Number(process.argv[2] ?? 5)
const SETTINGS = [
  { stores: 1, writers: 1 },
  { stores: 1, writers: 32 },
  { stores: 3, writers: 16 }
] as const

const pg = await startPostgres()
try {
  for (const [i, { stores, writers }] of SETTINGS.entries()) {
    const opened = await Promise.all(Array.from({ length: stores }, () => PostgresStore.open({ config: pg.connection, schema: 'bench' })))
    const until = Date.now() + SECONDS * 1000
    let appends = 0
    const writer = async (store: PostgresStore, id: string) => {
      for (let seq = 0; Date.now() < until; appends++) seq = await store.append(id, [{ type: 'add', payload: { type: 'add', n: seq } }], seq)
    }
    const started = Date.now()
    await Promise.all(opened.flatMap((store, s) => Array.from({ length: writers }, (_, w) => writer(store, `run${i}-s${s}-w${w}`))))
    const rate = Math.round(appends / ((Date.now() - started) / 1000))
    console.info(`${stores} store(s) x ${writers} concurrent appender(s): ${appends} appends, ${rate}/s`)
    await Promise.all(opened.map((store) => store.close()))
  }
} finally {
  await pg.stop()
}
