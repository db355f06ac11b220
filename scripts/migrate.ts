// npm run migrate -- <list | plan | apply> --store <sqlite:FILE | postgres://...> [--schema S] [--prefix P] [--target MODULE[#export]]
//
// list:  which logic versions wrote the snapshots under the prefix (snapshotVersions).
// plan:  a dry run of migrateStore: what would be migrated, what would fail; writes nothing.
// apply: migrateStore with apply: true, with a progress bar on a terminal.
// MODULE exports (as default, or as `export`) { logic, version?, migrations?, validate?, input? }: a MigrationTarget.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { migrateStore, snapshotVersions, type KeeperStore, type MigrationTarget } from '../src/index'

const USAGE = 'usage: npm run migrate -- <list | plan | apply> --store <sqlite:FILE | postgres://...> [--schema S] [--prefix P] [--target MODULE[#export]]'

async function openStore(spec: string, schema: string | undefined): Promise<KeeperStore> {
  if (spec.startsWith('sqlite:')) {
    const { SqliteStore } = await import('../src/sqlite')
    return SqliteStore.open(spec.slice('sqlite:'.length))
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const { PostgresStore } = await import('../src/postgres')
    return PostgresStore.open({ config: { connectionString: spec }, ...(schema ? { schema } : {}) })
  }
  throw new Error(`--store must be sqlite:FILE or postgres://...; got ${JSON.stringify(spec)}`)
}

async function loadTarget(spec: string): Promise<MigrationTarget> {
  const [file, name = 'default'] = spec.split('#') as [string, string?]
  const module = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>
  // A CommonJS-compiled module (tsx) nests its exports under `default`.
  const target = module[name] ?? (module.default as Record<string, unknown> | undefined)?.[name]
  if (typeof target !== 'object' || target === null) throw new Error(`${file} has no export "${name}" with { logic, version, migrations }`)
  return target as MigrationTarget
}

/** A bar on a terminal; nothing when stderr is a file or a pipe. */
function progressBar(): ((p: { done: number; total: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  return ({ done, total }) => {
    const width = 30
    const filled = Math.round((done / total) * width)
    process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% ${done}/${total}`)
    if (done === total) process.stderr.write('\n')
  }
}

function sample(ids: readonly string[]): string {
  return ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')}, ... ${ids.length - 5} more`
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { store: { type: 'string' }, schema: { type: 'string' }, prefix: { type: 'string' }, target: { type: 'string' } }
  })
  const [command] = positionals
  if (!values.store || !['list', 'plan', 'apply'].includes(command ?? '') || (command !== 'list' && !values.target)) {
    console.error(USAGE)
    return 2
  }
  const store = await openStore(values.store, values.schema)
  try {
    const prefix = values.prefix ?? ''
    if (command === 'list') {
      const versions = await snapshotVersions(store, { prefix })
      if (versions.length === 0) console.log(`no snapshots under ${JSON.stringify(prefix)}`)
      for (const { version, count, ids } of versions) console.log(`version ${version}: ${count} snapshot${count === 1 ? '' : 's'} (${sample(ids)})`)
      return 0
    }
    const target = await loadTarget(values.target as string)
    const apply = command === 'apply'
    const bar = progressBar()
    const report = await migrateStore(store, { ...target, prefix, apply, ...(bar ? { onProgress: bar } : {}) })
    const verb = apply ? 'migrated' : 'would be migrated'
    console.log(
      `${apply ? '' : 'dry run: '}${report.migrated.length} of ${report.total} snapshots ${verb} to version ${report.version}; ` +
        `${report.current} current; ${report.failed.length} failed; ${report.changed.length} changed meanwhile (left alone)`
    )
    for (const error of report.failed) console.log(`failed ${error.branchId} (version ${error.version}): ${error.reason}`)
    if (!apply && report.failed.length === 0 && report.migrated.length > 0) console.log('nothing written; run `apply` to write them')
    return report.failed.length === 0 ? 0 : 1
  } finally {
    await store.close()
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 2
  }
)
