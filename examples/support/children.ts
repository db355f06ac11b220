/**
 * What the cluster examples share: a private nats-server, and nodes as child
 * processes of the example (each forks the example's own file with
 * `node <id> <url> <file>` and answers `ask(op, arg)` over IPC).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** A node process, as the example's parent drives it. */
export interface Node {
  readonly child: ChildProcess
  ask<T = unknown>(op: string, arg?: string): Promise<T>
}

/** Forks the running example's file as node `id` (with `node <id> <url> <file>`) and waits until it has joined. */
export async function startChild(id: string, url: string, file: string): Promise<Node> {
  const child = fork(process.argv[1] as string, ['node', id, url, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let next = 0
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node ${id} exited (${code})`)))
    child.on('message', (m: { ready?: string; n?: number; value?: unknown; error?: string }) => {
      if (m.ready) return resolve()
      const w = waiting.get(m.n as number)
      waiting.delete(m.n as number)
      if (m.error) w?.reject(new Error(m.error))
      else w?.resolve(m.value)
    })
  })
  return {
    child,
    ask: <T>(op: string, arg = '') =>
      new Promise<T>((resolve, reject) => {
        waiting.set(++next, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id: next, op, arg })
      })
  }
}

/** A private nats-server with JetStream, on a free loopback port. */
export async function startNats(dir: string): Promise<{ url: string; stop(): void }> {
  try {
    execFileSync('sh', ['-c', 'command -v nats-server'])
  } catch {
    throw new Error('nats-server was not found on PATH: install it (Debian: apt-get install nats-server) to run this example.')
  }
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
  const server = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'nats')], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: server.stderr }).on('line', (line) => line.includes('Server is ready') && resolve())
    server.once('exit', (code) => reject(new Error(`nats-server exited (${code})`)))
  })
  return { url: `nats://127.0.0.1:${port}`, stop: () => server.kill('SIGKILL') }
}

/** In a node process: answers the parent's `ask`s with `ops`, then says it has joined. */
export function answer(id: string, ops: Record<string, (arg: string) => Promise<unknown> | unknown>): void {
  process.on('message', ({ id: n, op, arg }: { id: number; op: string; arg: string }) => {
    Promise.resolve()
      .then(() => ops[op]?.(arg))
      .then(
        (value) => process.send?.({ n, value }),
        (error: Error) => process.send?.({ n, error: `${error.name}: ${error.message}` })
      )
  })
  process.send?.({ ready: id })
}
