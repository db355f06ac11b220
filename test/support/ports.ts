import { once } from 'node:events'
import { createServer } from 'node:net'

/** A free loopback port: the OS picks one for a listener on port 0, which we then close. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}
