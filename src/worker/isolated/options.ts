import { InvalidOptionError } from '../../shared/errors'
import { hasNodeModules, nodeModule } from '../../shared/platform'
import { hostFile } from './transport'
import { isInstance, readDuration, readOptions, safeRead } from '../../shared/validate'

/** Where a branch's worker runs: in this thread (default), a worker thread, or a child process. */
export type Isolation = 'none' | 'thread' | 'process'

/**
 * Logic named by the module that exports it, for a branch whose worker runs
 * in another thread or process (functions can't cross there). `module` is a
 * path (relative to the file that calls `startBranch` / `branchSpec` /
 * `startPool`, or absolute) or a `file:` URL; `export` defaults to `'default'`.
 *
 * @example
 * { module: './devices/printer.js', export: 'printerMachine' }
 */
export interface LogicModule {
  readonly module: string | URL
  readonly export?: string
}

/**
 * The heap and stack limits of an isolated worker (Node's `ResourceLimits` of
 * `node:worker_threads`, spelt here so that keepsake's types need no Node types).
 */
export interface ResourceLimits {
  /** The main heap's largest size, in MB. */
  maxOldGenerationSizeMb?: number
  /** The heap space for recently created objects' largest size, in MB. */
  maxYoungGenerationSizeMb?: number
  /** The size of a pre-allocated memory range used for generated code, in MB. */
  codeRangeSizeMb?: number
  /** The thread's largest stack size, in MB. */
  stackSizeMb?: number
}

/** A logic module, resolved. */
export interface ResolvedModule {
  readonly url: string
  readonly export: string
  /** TypeScript: loaded through tsx. */
  readonly typescript: boolean
}

/** An isolated branch's settings, checked. */
export interface IsolationConfig {
  readonly mode: 'thread' | 'process'
  readonly module: ResolvedModule
  /** ms a message may take before its worker is terminated as hung; Infinity: no limit. */
  readonly maxProcessingMs: number
  readonly resourceLimits: ResourceLimits | undefined
}

/** True for `{ module, export? }` (as opposed to xstate logic). */
export function isLogicModule(value: unknown): value is LogicModule {
  if (typeof value !== 'object' || value === null) return false
  const module = safeRead(value, 'module')
  return typeof module === 'string' || isInstance(module, URL)
}

/**
 * Resolves a logic module's path: a `file:` URL, an absolute path, or a path
 * relative to `base` (the caller's directory; the working directory when it is
 * unknown). Throws a typed error naming the option when it is malformed or
 * the file does not exist.
 */
export function resolveLogicModule(value: LogicModule, base: string | undefined): ResolvedModule {
  if (!hasNodeModules()) throw new InvalidOptionError('logic', 'xstate logic: naming it by module ({ module, export }) needs Node', value)
  const { existsSync } = nodeModule('node:fs')
  const { createRequire } = nodeModule('node:module')
  const { isAbsolute, resolve } = nodeModule('node:path')
  const { fileURLToPath, pathToFileURL } = nodeModule('node:url')
  const exportName = safeRead(value, 'export') ?? 'default'
  if (typeof exportName !== 'string' || exportName.length === 0) throw new InvalidOptionError('logic.export', 'the name of an export (a non-empty string)', exportName)
  const spec = safeRead(value, 'module')
  if (typeof spec !== 'string' && !isInstance(spec, URL)) throw new InvalidOptionError('logic.module', 'a path or a file: URL', spec)
  let path: string
  if (typeof spec !== 'string' || spec.startsWith('file:')) {
    try {
      path = fileURLToPath(spec)
    } catch {
      throw new InvalidOptionError('logic.module', 'a file: URL (or a path)', String(spec))
    }
  }
  else if (isAbsolute(spec)) path = spec
  else if (spec.startsWith('./') || spec.startsWith('../')) path = resolve(base ?? process.cwd(), spec)
  else {
    try {
      path = createRequire(resolve(base ?? process.cwd(), 'index.js')).resolve(spec)
    } catch {
      throw new InvalidOptionError('logic.module', 'a path to a module (relative to the caller, absolute, or a file: URL)', spec)
    }
  }
  if (!existsSync(path)) throw new InvalidOptionError('logic.module', `an existing module file (${path} does not exist)`, String(spec))
  return { url: pathToFileURL(path).href, export: exportName, typescript: /\.[cm]?tsx?$/.test(path) }
}

/**
 * Reads the isolation options of `startBranch`: `isolation`,
 * `maxProcessingMs`, `resourceLimits`. Returns undefined for `'none'`.
 * `logic` must be a resolved module when isolated.
 */
export function readIsolation(o: Record<string, unknown>, module: ResolvedModule | undefined): IsolationConfig | undefined {
  const mode = o.isolation ?? 'none'
  if (mode !== 'none' && mode !== 'thread' && mode !== 'process') throw new InvalidOptionError('isolation', "'none', 'thread' or 'process'", mode)
  if (mode === 'none') {
    if (o.maxProcessingMs !== undefined) throw new InvalidOptionError('maxProcessingMs', "used only with isolation 'thread' or 'process' (a worker in this thread can't be preempted); remove it, or isolate the worker", o.maxProcessingMs)
    if (o.resourceLimits !== undefined) throw new InvalidOptionError('resourceLimits', "used only with isolation 'thread' or 'process'", o.resourceLimits)
    return undefined
  }
  if (!module) throw new InvalidOptionError('logic', `named by module ({ module, export }) with isolation '${mode}': functions can't cross to another thread or process`, o.logic)
  try {
    hostFile()
  } catch (error) {
    throw new InvalidOptionError('isolation', `'none' when an isolated worker can't run: ${(error as Error).message}`, mode, { cause: error })
  }
  return { mode, module, maxProcessingMs: readMaxProcessing(o.maxProcessingMs), resourceLimits: readLimits(o.resourceLimits) }
}

function readMaxProcessing(value: unknown): number {
  const ms = readDuration(value, 'maxProcessingMs', Infinity, true)
  if (ms === 0) throw new InvalidOptionError('maxProcessingMs', 'a number of ms > 0 (or Infinity)', value)
  return ms
}

const LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const

function readLimits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined
  const o = readOptions(value, 'resourceLimits')
  const limits: Record<string, number> = {}
  for (const key of Object.keys(o)) {
    const n = o[key]
    if (!(LIMITS as readonly string[]).includes(key)) throw new InvalidOptionError(`resourceLimits.${key}`, `one of ${LIMITS.join(', ')}`, n)
    if (typeof n !== 'number' || !(n > 0) || !Number.isFinite(n)) throw new InvalidOptionError(`resourceLimits.${key}`, 'a positive number of MB', n)
    limits[key] = n
  }
  return limits
}

/** The directory of the file that called `fn` (for modules named relative to it), if the stack tells. */
export function callerDirectory(fn: Function): string | undefined {
  const saved = Error.prepareStackTrace
  const holder: { stack?: unknown } = {}
  try {
    Error.prepareStackTrace = (_, frames) => frames
    Error.captureStackTrace(holder, fn)
    const frames = holder.stack as NodeJS.CallSite[] | undefined
    const file = frames?.find((frame) => frame.getFileName())?.getFileName()
    if (!file) return undefined
    return nodeModule('node:path').dirname(file.startsWith('file:') ? nodeModule('node:url').fileURLToPath(file) : file)
  } catch {
    return undefined
  } finally {
    Error.prepareStackTrace = saved
  }
}

/**
 * `options` with a relative `logic.module` made absolute against the file of
 * the code that called `caller` (the stack is read only then).
 */
export function anchorLogicModule<T>(options: T, caller: Function): T {
  const logic = safeRead(options, 'logic')
  if (!isLogicModule(logic) || typeof logic.module !== 'string' || !/^\.\.?\//.test(logic.module) || !hasNodeModules()) return options
  const dir = callerDirectory(caller)
  if (dir === undefined) return options
  try {
    return { ...options, logic: { ...logic, module: nodeModule('node:path').resolve(dir, logic.module) } }
  } catch {
    return options // unreadable options: reading them again reports what is wrong
  }
}
