import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'

/**
 * A loopback TCP proxy to `port` that a test can cut (every connection
 * dropped, new ones refused) and restore: a network partition of whoever
 * connects through it. It can also hold what clients send (kept in order,
 * not forwarded) until released: a write stalled on its way, as it is when
 * its process stops after sending it.
 */
export interface Proxy {
  readonly port: number
  cut(): void
  restore(): void
  /** From now on, what clients send is kept here instead of forwarded. */
  hold(): void
  /** Forwards what clients send until the server's next answer, then holds from there on: a read lets through, the write after it stalled. */
  holdAfterAnswer(): void
  /** Forwards what was held, in order, and forwards again from now on. */
  release(): void
  /** Bytes clients sent that are held now. */
  readonly held: number
  /** Bytes the upstream server has sent back to clients so far. */
  readonly answered: number
  close(): Promise<void>
}

export async function startProxy(port: number): Promise<Proxy> {
  const sockets = new Set<Socket>()
  let open = true
  let holding: { to: Socket; chunk: Buffer }[] | undefined
  let held = 0
  let answered = 0
  let armed = false
  const server = createServer((client) => {
    if (!open) return void client.destroy()
    const upstream = createConnection({ host: '127.0.0.1', port })
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a)
      a.on('close', () => {
        sockets.delete(a)
        b.destroy()
      })
      a.on('error', () => a.destroy())
    }
    client.on('data', (chunk: Buffer) => {
      if (!holding) return void upstream.write(chunk)
      holding.push({ to: upstream, chunk })
      held += chunk.length
    })
    upstream.on('data', (chunk: Buffer) => {
      answered += chunk.length
      if (armed) {
        armed = false
        holding ??= []
      }
      client.write(chunk)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const cut = () => {
    open = false
    for (const socket of sockets) socket.destroy()
  }
  return {
    port: (server.address() as { port: number }).port,
    cut,
    restore: () => void (open = true),
    hold: () => void (holding ??= []),
    holdAfterAnswer: () => void (armed = true),
    release: () => {
      const chunks = holding ?? []
      holding = undefined
      held = 0
      for (const { to, chunk } of chunks) if (!to.destroyed) to.write(chunk)
    },
    get held() {
      return held
    },
    get answered() {
      return answered
    },
    close: async () => {
      cut()
      server.close()
      await once(server, 'close')
    }
  }
}
