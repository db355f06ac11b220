import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './ports'
import { privateServer, readyLine, type Running, type ServerControls } from './server'

/**
 * A private `nats-server -js` for the tests: its own JetStream store in a temp
 * dir, on a free loopback port (never the system server on 4222). It can be
 * stopped and started again on the same store and port, as a lost server
 * would be.
 */
export interface NatsServer extends ServerControls {
  /** Where clients reach it: `nats://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** The permission violations the server has logged ("Publish Violation - User ..."), oldest first. */
  violations(): readonly string[]
}

const READY = 'Server is ready'

/**
 * Starts a fresh server; rejects (having cleaned up) if it can't. `config`,
 * if given, is the text of a nats-server config file (accounts, users,
 * permissions, TLS), written to the server's temp dir; the command line still
 * sets the port, the loopback address and the JetStream store.
 */
export async function startNats(extraArgs: readonly string[] = [], config?: string): Promise<NatsServer> {
  const binary = natsBinary()
  return privateServer('keepsake-nats-', async (dir) => {
    const port = await freePort()
    const violations: string[] = []
    const configArgs: string[] = []
    if (config !== undefined) {
      const file = join(dir, 'nats-server.conf')
      writeFileSync(file, config)
      configArgs.push('-c', file)
    }
    return {
      start: () => startServer(binary, [...configArgs, '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...extraArgs], violations),
      details: { url: `nats://127.0.0.1:${port}`, port, violations: () => violations }
    }
  })
}

/** Runs the server and resolves once its log says it is ready. */
async function startServer(binary: string, args: string[], violations: string[]): Promise<Running> {
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(child, 'exit')
  await readyLine('nats-server', child, [child.stdout!, child.stderr!], READY, (line) => {
    if (line.includes(' Violation - ')) violations.push(line)
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
