/**
 * What keepsake needs from its runtime beyond the language. The core
 * (branches, supervisors, pools, dedupe, the keepers and MemoryStore) imports
 * no `node:` module, so it loads wherever xstate runs (Node, Deno, Bun,
 * browsers, web workers); the Node-only parts reached from it (isolation)
 * fetch their built-ins through {@link nodeModule} when first used.
 */

/**
 * Runs `fn` from the event loop, after pending I/O: `setImmediate` where
 * there is one (Node, Bun), else a 0 ms timer. Returns what cancels it.
 */
export function immediate(fn: () => void): () => void {
  const { setImmediate: set, clearImmediate: clear } = globalThis as Partial<Pick<typeof globalThis, 'setImmediate' | 'clearImmediate'>>
  if (set && clear) {
    const handle = set(fn)
    return () => clear(handle)
  }
  const timer = setTimeout(fn, 0)
  return () => clearTimeout(timer)
}

/** Reports a problem nobody listens for: a process warning in Node, the console elsewhere. */
export function warn(message: string): void {
  const emit = (globalThis as { process?: { emitWarning?: unknown } }).process?.emitWarning
  if (typeof emit === 'function') (emit as (message: string) => void).call(globalThis.process, message)
  else console.warn(message)
}

/** True when Node's built-in modules can be fetched (Node >= 20.16, Deno, Bun). */
export function hasNodeModules(): boolean {
  return typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule === 'function'
}

/** The Node built-ins keepsake's Node-only features use. */
interface NodeModules {
  'node:child_process': typeof import('node:child_process')
  'node:fs': typeof import('node:fs')
  'node:module': typeof import('node:module')
  'node:path': typeof import('node:path')
  'node:url': typeof import('node:url')
  'node:v8': typeof import('node:v8')
  'node:worker_threads': typeof import('node:worker_threads')
  'node:zlib': typeof import('node:zlib')
}

/**
 * A Node built-in module, fetched synchronously at its first use rather than
 * imported: importing keepsake then loads none of them (nor makes a browser
 * bundle fail on them). Only Node-only features call it.
 */
export function nodeModule<ID extends keyof NodeModules>(id: ID): NodeModules[ID] {
  if (!hasNodeModules()) throw new Error(`keepsake: this feature needs Node's ${id} module, which this runtime does not have`)
  return process.getBuiltinModule(id) as NodeModules[ID]
}

/**
 * The file of the module whose `import.meta.url` is `url` (Node only). A
 * CommonJS bundle has no `import.meta.url`: there it is the main script's
 * (the bundle's own, for an app run as `node bundle.cjs`).
 */
export function moduleFile(url: string | undefined): string {
  return url ? nodeModule('node:url').fileURLToPath(url) : (process.argv[1] ?? nodeModule('node:path').join(process.cwd(), 'index.js'))
}
