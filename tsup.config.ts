import { defineConfig } from 'tsup'

export default defineConfig({
  // The stores on native drivers are subpaths, so the root never pulls in
  // better-sqlite3 or pg (nor their types).
  // isolated-host is the entry of the worker threads and child processes that run isolated workers.
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/sqlite.ts',
    postgres: 'src/postgres.ts',
    telemetry: 'src/telemetry.ts',
    inspector: 'src/inspector.ts',
    cluster: 'src/cluster.ts',
    'isolated-host': 'src/worker/isolated/host.ts'
  },
  format: ['esm', 'cjs'],
  dts: true,
  // Maps point at the sources by path: they don't carry them (half the package's size otherwise).
  sourcemap: true,
  esbuildOptions(options) {
    options.sourcesContent = false
  },
  clean: true,
  // One copy of the shared code (error classes above all) for every entry, in CJS too.
  splitting: true,
  target: 'node20',
  // The isolated workers find their host entry from import.meta.url, in CJS too.
  shims: true
})
