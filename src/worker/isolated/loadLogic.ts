import type { AnyActorLogic } from 'xstate'
import { isActorLogic } from '../isActorLogic'
import { LogicModuleError } from './errors'
import { fromSource } from './source'

// Node's own import(), kept out of the bundler's sight: tsup's CommonJS build
// rewrites every import() into a require() (its cjs splitting runs sucrase's
// imports transform), which can't take a file: URL, nor an ES module on Node 20.
// Node's import() loads ES and CommonJS modules, and TypeScript through tsx's
// hooks when they are registered (the hosts of isolated workers register them).
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>

const typescript = (url: string) => /\.[cm]?tsx?$/.test(url)

/**
 * Imports a logic module and returns the xstate logic it exports under
 * `module.export` (a TypeScript module needs a loader such as tsx registered).
 * Rejects with {@link LogicModuleError}.
 */
export async function loadLogic(module: { readonly url: string; readonly export: string }): Promise<AnyActorLogic> {
  let exports: Record<string, unknown>
  try {
    // From the sources, a TypeScript module goes through the runner's import() (vitest's serves it; tsx's too).
    exports = (await (fromSource && typescript(module.url) ? import(module.url) : nativeImport(module.url))) as Record<string, unknown>
  } catch (error) {
    const hint = typescript(module.url) && (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' ? '; a TypeScript module needs tsx in this process (node --import tsx), or compile it to JavaScript' : ''
    throw new LogicModuleError(module.url, module.export, `it failed to load (${String(error)})${hint}`)
  }
  const found = exports[module.export] ?? commonJsExport(exports, module.export)
  if (!isActorLogic(found)) throw new LogicModuleError(module.url, module.export, found === undefined ? 'there is no such export' : 'it is not xstate actor logic')
  return found
}

/** A CommonJS module's export when Node could not list it by name: it is then a property of `default` (module.exports). */
function commonJsExport(exports: Record<string, unknown>, name: string): unknown {
  const all = exports.default
  return typeof all === 'object' && all !== null ? (all as Record<string, unknown>)[name] : undefined
}
