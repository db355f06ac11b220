import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './ports'
import { privateServer, readyLine, type Running, type ServerControls } from './server'

/**
 * A private PostgreSQL server for the tests: its own data directory in a temp
 * dir, on a free loopback port, started from the binaries `pg_config
 * --bindir` names. It can be SIGKILLed and restarted on the same data and
 * port, as a crashed database server would be.
 */
export interface PostgresServer extends ServerControls {
  /** How node-postgres reaches it (trust auth, loopback only). */
  readonly connection: { host: '127.0.0.1'; port: number; user: 'postgres'; database: 'postgres' }
}

const READY = 'database system is ready to accept connections'

/** Starts a fresh server; rejects (having cleaned up) if it can't. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = binaries()
  return privateServer('keepsake-pg-', async (dir) => {
    const data = join(dir, 'data')
    if (runsAsRoot()) chownSync(dir, ...postgresUser())
    await run(bin.initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
    const port = await freePort()
    return {
      start: () => startServer(bin.postgres, data, dir, port),
      details: { connection: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' } as const }
    }
  })
}

/**
 * Runs `postgres` and resolves once its log says it is ready (an event, not
 * a guess). As root it runs through `runuser -u postgres -- setsid`: runuser
 * forks and waits for the server, and setsid puts the server (and its
 * backends) in a process group of their own, so `kill` hits exactly the
 * server and runuser reaps it. Were runuser killed too, the server would be
 * orphaned, linger as a zombie holding its PID in `postmaster.pid`, and the
 * restart would refuse to start.
 */
async function startServer(postgres: string, data: string, socketDir: string, port: number): Promise<Running> {
  const args = ['-D', data, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']
  const child = runuserSpawn(postgres, args, ['setsid'])
  const exited = once(child, 'exit')
  await readyLine('postgres', child, [child.stderr!], READY)
  // The postmaster's PID (the first line of postmaster.pid) leads the server's process group.
  const group = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  let gone = false
  const killNow = () => {
    if (gone) return
    gone = true
    try {
      process.kill(-group, 'SIGKILL')
    } catch {
      // already gone
    }
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

/** Runs a command to completion; rejects with its output if it fails. */
async function run(command: string, args: string[]): Promise<void> {
  const child = runuserSpawn(command, args, [])
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`)
}

/** Spawns `command` as the postgres user when we are root (postgres refuses to run as root). */
function runuserSpawn(command: string, args: string[], wrapper: string[]): ChildProcess {
  const options: SpawnOptions = { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }
  if (!runsAsRoot()) return spawn(command, args, options)
  return spawn('runuser', ['-u', 'postgres', '--', ...wrapper, command, ...args], options)
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0
}

function postgresUser(): [number, number] {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
    return [id('-u'), id('-g')]
  } catch (error) {
    throw new Error('Running as root, the tests run PostgreSQL as the "postgres" user, but there is none. Create it (useradd postgres) or run as another user.', { cause: error })
  }
}

function binaries(): { initdb: string; postgres: string } {
  let bindir: string
  try {
    bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim()
  } catch (error) {
    throw new Error('pg_config was not found on PATH: install the PostgreSQL 15 server (Debian: apt-get install postgresql-15) to run the PostgreSQL tests.', { cause: error })
  }
  const path = (name: string) => {
    const file = join(bindir, name)
    if (!existsSync(file)) throw new Error(`${file} is missing: install the PostgreSQL server binaries (Debian: postgresql-15), not only the client.`)
    return file
  }
  return { initdb: path('initdb'), postgres: path('postgres') }
}
