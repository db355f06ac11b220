import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'

/** A loopback TCP proxy to `port` that a test can cut (every connection dropped, new ones refused) and restore: a network partition of whoever connects through it. */
export interface Proxy {
  readonly port: number
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startProxy(port: number): Promise<Proxy> {
  const sockets = new Set<Socket>()
  let open = true
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
      a.pipe(b)
    }
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
    close: async () => {
      cut()
      server.close()
      await once(server, 'close')
    }
  }
}
