import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from './ports'

/**
 * A private `nats-server -js` for the tests: its own JetStream store in a temp
 * dir, on a free loopback port (never the system server on 4222). It can be
 * stopped and started again on the same store and port, as a lost server
 * would be.
 */
export interface NatsServer {
  /** Where clients reach it: `nats://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** SIGKILLs the server; resolves once it is gone. */
  kill(): Promise<void>
  /** Starts it again on the same store and port; resolves once it is ready. */
  restart(): Promise<void>
  /** Kills it and removes its directory. Safe to call more than once. */
  stop(): Promise<void>
}

const READY = 'Server is ready'

/** Starts a fresh server; rejects (having cleaned up) if it can't. */
export async function startNats(extraArgs: readonly string[] = []): Promise<NatsServer> {
  const binary = natsBinary()
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-nats-'))
  let server: Running | undefined
  const cleanUp = () => {
    server?.killNow()
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', cleanUp)
  try {
    const port = await freePort()
    const start = async () => (server = await startServer(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...extraArgs]))
    await start()
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      kill: async () => server?.kill(),
      restart: async () => {
        await server?.kill()
        await start()
      },
      stop: async () => {
        await server?.kill()
        cleanUp()
        process.off('exit', cleanUp)
      }
    }
  } catch (error) {
    cleanUp()
    process.off('exit', cleanUp)
    throw error
  }
}

interface Running {
  kill(): Promise<void>
  killNow(): void
}

/** Runs the server and resolves once its log says it is ready (an event, not a guess). */
async function startServer(binary: string, args: string[]): Promise<Running> {
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const log: string[] = []
  const exited = once(child, 'exit')
  await new Promise<void>((resolve, reject) => {
    // Keeps reading for the server's whole life: a full pipe would block its logging.
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (log.push(line) > 200) log.shift()
        if (line.includes(READY)) resolve()
      })
    }
    exited.then(([code, signal]) => reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${log.join('\n')}`)))
  })
  const killNow = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  return {
    killNow,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      killNow()
      await exited
    }
  }
}

function natsBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim()
  } catch (error) {
    throw new Error('nats-server was not found on PATH: install it (Debian: apt-get install nats-server) to run the cluster tests.', { cause: error })
  }
}
