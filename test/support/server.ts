import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { createInterface } from 'node:readline'

/** One run of a test server's process. */
export interface Running {
  /** SIGKILLs it and resolves once it is gone. */
  kill(): Promise<void>
  /** SIGKILLs it without waiting (at process exit). */
  killNow(): void
}

/** What every private test server can do, as a crashed or lost server would be made to. */
export interface ServerControls {
  /** SIGKILLs the server; resolves once it is gone. */
  kill(): Promise<void>
  /** Starts it again on the same data and port; resolves once it is ready. */
  restart(): Promise<void>
  /** Kills it and removes its directory. Safe to call more than once. */
  stop(): Promise<void>
}

/**
 * Runs a private server in a fresh temp directory: `launch` prepares it
 * there and says how to start it (again); the controls kill, restart and
 * stop it. Whatever happens to the test process, no server is left behind
 * and the directory goes; a launch that fails cleans up before it rejects.
 */
export async function privateServer<T extends object>(
  prefix: string,
  launch: (dir: string) => Promise<{ start: () => Promise<Running>; details: T }>
): Promise<T & ServerControls> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  let server: Running | undefined
  const cleanUp = () => {
    server?.killNow()
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // at process exit, a dying server may still be writing: best effort
    }
  }
  const done = () => {
    cleanUp()
    process.off('exit', cleanUp)
  }
  process.on('exit', cleanUp)
  try {
    const { start, details } = await launch(dir)
    const begin = async () => {
      server = await start()
    }
    await begin()
    return {
      ...details,
      kill: async () => server?.kill(),
      restart: async () => {
        await server?.kill()
        await begin()
      },
      stop: async () => {
        await server?.kill()
        done()
      }
    }
  } catch (error) {
    done()
    throw error
  }
}

/**
 * Resolves once one of `streams` logs a line containing `ready` (an event,
 * not a guess); rejects with the last 200 lines if `child` exits first. Keeps
 * reading for the server's whole life: a full pipe would block its logging;
 * `onLine`, if given, sees every line.
 */
export function readyLine(name: string, child: ChildProcess, streams: readonly Readable[], ready: string, onLine?: (line: string) => void): Promise<void> {
  const log: string[] = []
  return new Promise<void>((resolve, reject) => {
    for (const stream of streams) {
      createInterface({ input: stream }).on('line', (line) => {
        onLine?.(line)
        if (log.push(line) > 200) log.shift()
        if (line.includes(ready)) resolve()
      })
    }
    once(child, 'exit').then(([code, signal]) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${log.join('\n')}`)))
  })
}
