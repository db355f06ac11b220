import type { Readable, Writable } from 'node:stream'
import { nodeModule } from '../../shared/platform'

/**
 * The byte channel between the parent and a child-process host: a pipe of our
 * own, not Node's IPC channel, whose parser runs outside any handler we could
 * give (bytes it can't parse are an uncaught exception in the parent, and a
 * garbage length makes it wait for ever). Anything in the child may write to
 * the pipe (a buggy native addon), so every frame carries a magic number, its
 * length and a CRC-32 of its payload: bytes that are not our frames are seen
 * at once (the first header byte that differs), reported as a broken channel,
 * and never parsed as a message. Values cross by structured clone (V8's
 * serializer, as Node's `serialization: 'advanced'`).
 */

/** The channel's descriptor in the child. */
export const CHANNEL_FD = 3
/** On a host's command line: it runs as a child process whose channel is {@link CHANNEL_FD}. */
export const CHANNEL_ARG = `--keepsake-channel=${CHANNEL_FD}`

const MAGIC = new Uint8Array([0xc3, 0x6b, 0x73, 0x01])
const HEADER = 12 // magic, payload length (u32 BE), CRC-32 of the payload (u32 BE)

/** Writes `message` as one frame; throws, having written nothing, when it can't be serialized. */
export function writeFrame(stream: Writable, message: unknown): void {
  // One buffer, one write: the header's room is reserved ahead of the payload in the serializer's own buffer.
  const serializer = new (builtins().v8.DefaultSerializer)()
  serializer.writeRawBytes(ROOM)
  serializer.writeHeader()
  serializer.writeValue(message)
  const frame = serializer.releaseBuffer()
  frame.set(MAGIC, 0)
  frame.writeUInt32BE(frame.length - HEADER, 4)
  frame.writeUInt32BE(builtins().zlib.crc32(frame.subarray(HEADER)), 8)
  stream.write(frame)
}

/** A frame's header as it is first written: room the magic, length and checksum fill once the payload is known. */
const ROOM = new Uint8Array(HEADER)

let cached: { v8: typeof import('node:v8'); zlib: typeof import('node:zlib') } | undefined

/** The built-ins every frame uses, fetched once (`nodeModule` asks the runtime each time). */
function builtins(): { v8: typeof import('node:v8'); zlib: typeof import('node:zlib') } {
  return (cached ??= { v8: nodeModule('node:v8'), zlib: nodeModule('node:zlib') })
}

/** What {@link readFrames} reports. */
export interface FrameHandlers {
  message(message: unknown): void
  /** Bytes that are not a frame arrived: nothing more is read. `why` says what was wrong. */
  broken(why: string): void
}

/** Reads frames from `stream` as they arrive, until one is broken. */
export function readFrames(stream: Readable, handlers: FrameHandlers): void {
  const onData = frameSink(handlers, () => stream.off('data', onData))
  stream.on('data', onData)
}

/** How much one read of a {@link frameReading} socket takes at most (libuv's own read size). */
const READ_SIZE = 64 * 1024

/**
 * The `onread` option of a socket whose frames go to `handlers` (the host's channel): it reads into
 * one buffer of its own instead of through its stream, whose 'data' events schedule another read
 * after each, on every call. The bytes are copied out before they are parsed: the reader may keep
 * a partial frame, and a typed array deserialized from a frame is a view of the bytes it was read from.
 */
export function frameReading(handlers: FrameHandlers): { buffer: Uint8Array; callback: (read: number, buffer: Uint8Array) => boolean } {
  let reading = true
  const sink = frameSink(handlers, () => (reading = false))
  const callback = (read: number, buffer: Uint8Array): boolean => {
    sink(Buffer.from(buffer.subarray(0, read)))
    // False stops the reads: nothing after a broken frame is read.
    return reading
  }
  return { buffer: Buffer.allocUnsafe(READ_SIZE), callback }
}

/** Takes the chunks of a byte stream and reports their frames, until one is broken; then calls `stop`. */
function frameSink(handlers: FrameHandlers, stop: () => void): (chunk: Buffer) => void {
  const reader = new FrameReader()
  return (chunk) => {
    let messages: unknown[]
    try {
      messages = reader.push(chunk)
    } catch (error) {
      stop()
      // Frames parsed before the bad bytes are still delivered, in order.
      for (const message of reader.parsed.splice(0)) handlers.message(message)
      return handlers.broken((error as Error).message)
    }
    for (const message of messages) handlers.message(message)
  }
}

/** Splits a byte stream into frames; throws at the first byte that can't belong to one. */
export class FrameReader {
  /** Messages of the current push parsed so far (a failed push leaves those before the bad bytes here). */
  readonly parsed: unknown[] = []
  #chunks: Buffer[] = []
  #buffered = 0

  /** Adds `chunk`; returns the messages it completes. */
  push(chunk: Buffer): unknown[] {
    this.parsed.length = 0
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    // The header is read in place and the payload taken as one view: most frames arrive whole in one chunk,
    // and each Buffer view made per frame costs more than the frame's own checks.
    while (this.#buffered > 0) {
      const have = Math.min(this.#buffered, HEADER)
      const head = this.#peek(have)
      const magic = Math.min(have, MAGIC.length)
      for (let i = 0; i < magic; i++) {
        if (head[i] !== MAGIC[i]) throw new Error(`bytes that are not a frame (0x${head.subarray(0, magic).toString('hex')}...)`)
      }
      if (have < HEADER) break
      const length = head.readUInt32BE(4)
      if (this.#buffered < HEADER + length) break
      const checksum = head.readUInt32BE(8)
      const payload = this.#take(HEADER + length).subarray(HEADER, HEADER + length)
      if (builtins().zlib.crc32(payload) !== checksum) throw new Error(`a frame of ${length} bytes whose checksum does not match`)
      try {
        this.parsed.push(builtins().v8.deserialize(payload))
      } catch (error) {
        throw new Error(`a frame that does not deserialize (${(error as Error).message})`)
      }
    }
    return this.parsed.splice(0)
  }

  /** A buffer whose first `n` bytes are the first `n` buffered (it may hold more), left in place. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0] as Buffer
    if (first.length >= n) return first
    const joined = Buffer.concat(this.#chunks)
    this.#chunks = [joined]
    return joined
  }

  /** Removes the first `n` buffered bytes; returns a buffer that starts with them (it may hold more). */
  #take(n: number): Buffer {
    const head = this.#peek(n)
    if (head.length === n) this.#chunks.shift()
    else this.#chunks[0] = head.subarray(n)
    this.#buffered -= n
    return head
  }
}
