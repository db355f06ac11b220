import type { Socket } from 'node:net'
import { nodeModule } from '../../shared/platform'
import { CHANNEL_ARG, readFrames, writeFrame } from './channel'
import type { ResourceLimits } from './options'
import type { HostMessage, ParentMessage } from './protocol'
import { fromSource, here } from './source'

/** The parent's handle on a running host: a worker thread or a child process. */
export interface HostLink {
  /** Sends a message; throws when it can't be copied. */
  post(message: ParentMessage): void
  /** Ends the host at once (a hang, a kill while busy, the branch stopping). Its exit is not reported. */
  kill(): void
  /** Whether the host keeps the parent's event loop alive: only while the branch waits on it. */
  hold(on: boolean): void
  /** True once the host has ended on its own, while how it ended is still being told (a watchdog then leaves it to that report). */
  exited(): boolean
}

/** What a host reports to the parent. */
export interface HostEvents {
  message(message: HostMessage): void
  /** It ended without being killed: `how` says how ("ran out of memory", "was killed by SIGABRT"...). */
  exit(how: string, cause?: unknown): void
}

export interface HostOptions {
  readonly mode: 'thread' | 'process'
  /** True when the logic module is TypeScript (loaded through tsx). */
  readonly typescript: boolean
  readonly resourceLimits: ResourceLimits | undefined
}

/** The host's published entry, for apps bundled without it beside them. */
const HOST_EXPORT = 'keepsake/isolated-host'
let host: string | undefined

/**
 * The host's entry file. It is next to this code: host.ts in the sources,
 * isolated-host.* in dist/, and isolated-host.* beside a bundle that bundled
 * `keepsake/isolated-host` as an entry of its own (docs/bundling.md); else
 * keepsake's own, resolved from the bundle. Throws saying how to bundle it
 * (`readIsolation` asks first, so a branch that can't run fails to start).
 */
export function hostFile(): string {
  if (host) return host
  const { existsSync } = nodeModule('node:fs')
  const { dirname, join } = nodeModule('node:path')
  const code = here()
  const beside = join(dirname(code), fromSource ? 'host.ts' : code.endsWith('.cjs') ? 'isolated-host.cjs' : 'isolated-host.js')
  if (existsSync(beside)) return (host = beside)
  try {
    return (host = nodeModule('node:module').createRequire(code).resolve(HOST_EXPORT))
  } catch (error) {
    throw new Error(
      `its host entry was not found (${beside} does not exist, and ${HOST_EXPORT} does not resolve from ${code}); ` +
        `a bundled app ships it beside the bundle as an entry of its own named isolated-host ` +
        `(esbuild: entry points app=./app.js and isolated-host=${HOST_EXPORT}, one output directory; see keepsake's docs/bundling.md)`,
      { cause: error }
    )
  }
}

let tsx: { loader: string; api: string; cjsApi: string } | undefined

/** tsx's loader (for `--import`) and its ESM and CommonJS APIs (for `register`), resolved from here; TypeScript hosts and logic modules need them. */
export function tsxUrls(): { loader: string; api: string; cjsApi: string } {
  if (tsx) return tsx
  const { readFileSync } = nodeModule('node:fs')
  const { dirname, join } = nodeModule('node:path')
  const { pathToFileURL } = nodeModule('node:url')
  const require = nodeModule('node:module').createRequire(here())
  let manifest: string
  try {
    manifest = require.resolve('tsx/package.json')
  } catch {
    throw new Error('keepsake: an isolated worker whose logic module is TypeScript needs tsx (npm install --save-dev tsx), or compile the module to JavaScript')
  }
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> }).exports
  const root = dirname(manifest)
  const api = (path: string) => pathToFileURL(join(root, (exports[path] as { import: { default: string } }).import.default)).href
  tsx = { loader: pathToFileURL(join(root, exports['.'] as string)).href, api: api('./esm/api'), cjsApi: api('./cjs/api') }
  return tsx
}

/**
 * Starts a host. Its first message must be `load`. A host that can't even be
 * started (no tsx for a TypeScript module, no processes left) reports that as
 * its exit, from the event loop, like any other death.
 */
export function spawnHost(options: HostOptions, events: HostEvents): HostLink {
  try {
    return options.mode === 'thread' ? spawnThread(options, events) : spawnProcess(options, events)
  } catch (error) {
    let killed = false
    setImmediate(() => killed || events.exit('could not be started', error))
    return { post: () => {}, kill: () => void (killed = true), hold: () => {}, exited: () => false }
  }
}

function spawnThread(options: HostOptions, events: HostEvents): HostLink {
  // Node 20 does not apply --import loaders to worker threads: a TypeScript
  // host or logic module is loaded after registering tsx from a one-line bootstrap,
  // for both module systems, as --import tsx does (a .ts file in a CommonJS package is CommonJS).
  const { Worker: ThreadWorker } = nodeModule('node:worker_threads')
  const limits = options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}
  const file = hostFile()
  const thread = fromSource || options.typescript
    ? new ThreadWorker(bootstrap(tsxUrls(), nodeModule('node:url').pathToFileURL(file).href), { eval: true, execArgv: [], ...limits })
    : new ThreadWorker(file, { execArgv: [], ...limits })
  let killed = false
  let failure: Error | undefined
  thread.on('message', (message: HostMessage) => events.message(message))
  thread.on('error', (error) => (failure ??= error))
  thread.on('exit', (code) => {
    if (killed) return
    const oom = (failure as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
    if (oom) events.exit('ran out of memory (its resourceLimits)', failure)
    else if (failure) events.exit('failed', failure)
    else events.exit(`exited with code ${code}`)
  })
  return {
    post: (message) => {
      if (!killed) thread.postMessage(message)
    },
    kill: () => {
      killed = true
      void thread.terminate()
    },
    hold: (on) => (on ? thread.ref() : thread.unref()),
    exited: () => false // a thread's exit is told at once
  }
}

/** A thread's first code: registers tsx's hooks, then imports the host. */
function bootstrap(urls: { api: string; cjsApi: string }, host: string): string {
  const [esm, cjs] = [urls.api, urls.cjsApi].map((url) => JSON.stringify(url))
  return `Promise.all([import(${esm}), import(${cjs})]).then(([esm, cjs]) => (esm.register(), cjs.register(), import(${JSON.stringify(host)})))`
}

function spawnProcess(options: HostOptions, events: HostEvents): HostLink {
  const heap = options.resourceLimits?.maxOldGenerationSizeMb
  const execArgv = [
    ...(fromSource || options.typescript ? ['--import', tsxUrls().loader] : []),
    ...(heap === undefined ? [] : [`--max-old-space-size=${heap}`])
  ]
  // stderr is read (and passed on) to tell an out-of-memory from any other abort; fd 3 is the channel (CHANNEL_ARG).
  const child = nodeModule('node:child_process').spawn(process.execPath, [...execArgv, hostFile(), CHANNEL_ARG], { stdio: ['ignore', 'inherit', 'pipe', 'pipe'] })
  const channel = child.stdio[3] as Socket
  const stderr = child.stdio[2] as Socket
  const outOfMemory = watchForOutOfMemory(stderr)
  let killed = false
  let exited = false
  let failure: Error | undefined
  /** Reports the end once; nothing after a kill. */
  const end = (how: string, cause?: unknown) => {
    if (killed) return
    killed = true
    events.exit(how, cause)
  }
  readFrames(channel, {
    message: (message) => {
      if (!killed) events.message(message as HostMessage)
    },
    broken: (why) => {
      child.kill('SIGKILL')
      end(`broke its channel to the parent: it sent ${why}`)
    }
  })
  channel.on('error', () => {}) // a child's death shows as its exit
  child.on('error', (error) => {
    if (child.pid === undefined) end('could not be started', error) // no exit follows
    else failure ??= error
  })
  child.on('exit', (code, signal) => {
    if (killed) return
    exited = true // told once stderr is read: until then a watchdog must not call it a hang
    void outOfMemory().then((oom) => {
      if (oom) end(`ran out of memory (${heap === undefined ? 'its JavaScript heap' : 'its resourceLimits'}; ${signal ? `killed by ${signal}` : `exit code ${code}`})`, failure)
      else if (signal === 'SIGABRT') end('aborted (SIGABRT)', failure)
      else if (signal) end(`was killed by ${signal}`, failure)
      else end(`exited with code ${code}`, failure)
    })
  })
  return {
    post: (message) => {
      if (killed || !channel.writable) return // it is exiting; its exit is reported
      writeFrame(channel, message)
    },
    kill: () => {
      killed = true
      child.kill('SIGKILL')
    },
    hold: (on) => {
      for (const handle of [child, channel, stderr]) {
        if (on) handle.ref()
        else handle.unref()
      }
    },
    exited: () => exited
  }
}

/** What V8 prints before it aborts a process whose heap is full. */
const OUT_OF_MEMORY = 'JavaScript heap out of memory'
/** How long an exit waits for the rest of stderr (a grandchild may hold it open). */
const STDERR_GRACE_MS = 2000

/**
 * Passes a child's stderr on to ours and tells, once the child has exited,
 * whether V8 reported its heap full there (it then aborts, which alone looks
 * like any other SIGABRT). The answer waits for the rest of stderr, but no
 * more than {@link STDERR_GRACE_MS}: a grandchild may hold the pipe open.
 */
function watchForOutOfMemory(stderr: Socket): () => Promise<boolean> {
  let seen = false
  let recent = ''
  stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk)
    const text = recent + chunk.toString('latin1')
    if (text.includes(OUT_OF_MEMORY)) seen = true
    recent = text.slice(-OUT_OF_MEMORY.length)
  })
  const closed = new Promise<void>((resolve) => {
    stderr.once('close', resolve)
    stderr.once('error', resolve)
  })
  return () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(seen), STDERR_GRACE_MS)
      void closed.then(() => (clearTimeout(timer), resolve(seen)))
    })
}
