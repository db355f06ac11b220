import type { AnyActorLogic } from 'xstate'
import { isActorLogic } from '../isActorLogic'
import { LogicModuleError } from './errors'

// Node's own import(), which the CommonJS build would otherwise turn into a
// require() (that can't load an ES module on Node 20). A TypeScript module goes
// through the bundler's import(), which tsx or vitest serve.
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>

/**
 * Imports a logic module and returns the xstate logic it exports under
 * `module.export` (a TypeScript module needs a loader such as tsx registered).
 * Rejects with {@link LogicModuleError}.
 */
export async function loadLogic(module: { readonly url: string; readonly export: string }): Promise<AnyActorLogic> {
  let exports: Record<string, unknown>
  try {
    exports = (await (/\.[cm]?tsx?$/.test(module.url) ? import(module.url) : nativeImport(module.url))) as Record<string, unknown>
  } catch (error) {
    throw new LogicModuleError(module.url, module.export, `it failed to load (${String(error)})`)
  }
  const found = exports[module.export]
  if (!isActorLogic(found)) throw new LogicModuleError(module.url, module.export, found === undefined ? 'there is no such export' : 'it is not xstate actor logic')
  return found
}
