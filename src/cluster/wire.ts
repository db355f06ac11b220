import { types } from 'node:util'
import type { EventObject } from 'xstate'
import * as coreErrors from '../shared/errors'
import * as storeErrors from '../stores/errors'
import * as clusterErrors from './errors'
import { InvalidMessageError, RemoteError } from './errors'

/**
 * What nodes say to each other, as JSON. Every message names its cluster; a
 * node drops, and logs, anything that is not exactly one of these shapes.
 */
export type Request =
  | { readonly k: 'call'; readonly n: string; readonly o: string; readonly e: EventObject; readonly t: number | null; readonly d?: boolean }
  | { readonly k: 'callAll'; readonly n: string; readonly o: string; readonly es: readonly EventObject[]; readonly t: number | null }
  | { readonly k: 'cast'; readonly n: string; readonly o: string; readonly e: EventObject }
  /** `ver`: the version of the kind's logic that wrote the image's state (absent from an older keepsake: 1). */
  | { readonly k: 'adopt'; readonly n: string; readonly kind: string; readonly input: unknown; readonly image: unknown; readonly tables?: unknown; readonly rev: number; readonly ver?: number }

/**
 * A node's answer. `wr` (cluster pools): the message carried a placement
 * record its sender wrote for the node (`w`), and the key had one already,
 * so that write was refused or not needed.
 */
export type Reply =
  | { readonly k: 'ok'; readonly value?: unknown; readonly wr?: true }
  | { readonly k: 'err'; readonly error: WireError; readonly wr?: true }
  /** This node does not hold the name (any more): ask the bucket who does, and send it there. */
  | { readonly k: 'moved' }

export interface WireError {
  readonly name: string
  readonly message: string
  readonly fields: Record<string, string | number | boolean | null>
  readonly cause?: { readonly name: string; readonly message: string }
}

/** Default size limit of one message, in bytes (NATS's own default max_payload). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
/** How deep a message may nest, counted from its top (the event of a call is at depth 1). */
export const MAX_DEPTH = 64

const { isProxy } = types
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** JSON bytes of `{ v: 1, c: cluster, ...body }`. */
export function encode(cluster: string, body: Request | Reply): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, c: cluster, ...body }))
}

/** Parses and checks a message: returns it, or `undefined` if it is for another cluster; throws InvalidMessageError if it is malformed. */
export function decodeRequest(bytes: Uint8Array, cluster: string, maxBytes: number): Request | undefined {
  const o = parse(bytes, cluster, maxBytes)
  if (o === undefined) return undefined
  const name = o.n
  if (typeof name !== 'string' || name.length === 0) throw new InvalidMessageError('"n" must be a non-empty string')
  if (o.k !== 'adopt' && typeof o.o !== 'string') throw new InvalidMessageError('"o" (the tenure addressed) must be a string')
  if (isDelivery(o)) return o as Request
  switch (o.k) {
    case 'adopt':
      if (typeof o.kind !== 'string') throw new InvalidMessageError('"kind" must be a string')
      if (!Number.isSafeInteger(o.rev) || (o.rev as number) <= 0) throw new InvalidMessageError('"rev" must be a positive integer')
      if (typeof o.image !== 'object' || o.image === null) throw new InvalidMessageError('"image" must be an object')
      if (o.ver !== undefined && (!Number.isSafeInteger(o.ver) || (o.ver as number) < 1)) throw new InvalidMessageError('"ver" must be an integer >= 1')
      return o as Request
    default:
      throw new InvalidMessageError(`unknown kind ${JSON.stringify(o.k)}`)
  }
}

/**
 * Checks a message that delivers events (a call, a callAll or a cast), to a
 * global name or a pool's key alike: true if it is one and well formed, false
 * for any other kind; throws InvalidMessageError for a malformed one.
 */
export function isDelivery(o: Record<string, unknown>): boolean {
  switch (o.k) {
    case 'call':
      checkEvent(o.e, 'e')
      checkTimeout(o.t)
      if (o.d !== undefined && typeof o.d !== 'boolean') throw new InvalidMessageError('"d" must be a boolean')
      return true
    case 'callAll':
      if (!Array.isArray(o.es) || o.es.length === 0) throw new InvalidMessageError('"es" must be a non-empty array of events')
      o.es.forEach((event, i) => checkEvent(event, `es[${i}]`))
      checkTimeout(o.t)
      return true
    case 'cast':
      checkEvent(o.e, 'e')
      return true
    default:
      return false
  }
}

/** Parses and checks a reply (same rules as requests). */
export function decodeReply(bytes: Uint8Array, cluster: string, maxBytes: number): Reply {
  const o = parse(bytes, cluster, maxBytes)
  if (o === undefined) throw new InvalidMessageError('a reply named another cluster')
  switch (o.k) {
    case 'ok':
    case 'moved':
      return o as Reply
    case 'err': {
      const e = o.error as Record<string, unknown> | undefined
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.message !== 'string' || typeof e.fields !== 'object' || e.fields === null) {
        throw new InvalidMessageError('"error" must be { name, message, fields }')
      }
      return o as Reply
    }
    default:
      throw new InvalidMessageError(`unknown reply kind ${JSON.stringify(o.k)}`)
  }
}

/** A message's JSON object, checked (size, UTF-8, version, cluster); `undefined` if it is another cluster's. Throws InvalidMessageError. */
export function parse(bytes: Uint8Array, cluster: string, maxBytes: number): Record<string, unknown> | undefined {
  if (bytes.byteLength > maxBytes) throw new InvalidMessageError(`${bytes.byteLength} bytes is over the ${maxBytes}-byte limit`)
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    throw new InvalidMessageError('it is not UTF-8 JSON')
  }
  const o = decodeObject(text)
  if (o.v !== 1) throw new InvalidMessageError(`unknown version ${JSON.stringify(o.v)}`)
  if (typeof o.c !== 'string') throw new InvalidMessageError('"c" (the cluster) must be a string')
  return o.c === cluster ? o : undefined
}

/**
 * A JSON object from the network or a bucket, checked as every message is:
 * throws InvalidMessageError for anything but a plain object, or one with a
 * `__proto__`/`constructor`/`prototype` key or nesting past the limit.
 */
export function decodeObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidMessageError('it is not UTF-8 JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidMessageError('it is not a JSON object')
  const found = findWireProblem(value, '', 0)
  if (found) throw new InvalidMessageError(`${found.path} ${found.what}`)
  return value as Record<string, unknown>
}

/** A value a message can't carry as it is: where (`event.items[2]`, `reply`, `e.__proto__`...) and what is wrong there. */
export interface WireProblem {
  readonly path: string
  /** Says what is wrong, as a predicate: `is a BigInt`, `nests deeper than 64 levels`... */
  readonly what: string
}

/** A frame of the walk: a value to check, or an object whose subtree is done (`leave`). */
type Step = { readonly value: unknown; readonly path: string; readonly depth: number } | { readonly leave: object }

const PATH_CHARS = 200

/**
 * The first value under `root` that would not arrive as it was sent, or that
 * every node refuses: what JSON can't carry (a BigInt, a symbol, a function, a
 * cycle), what it would change (NaN and the infinities become null, a Map `{}`,
 * a Date a string, a hole or `undefined` in an array null, a symbol-keyed
 * property disappears, a getter is replaced by what it returned), a Proxy, a
 * `__proto__`/`constructor`/`prototype` key, or nesting past the wire's limit
 * (`depth` is `root`'s own, counted from the message's top). The walk is
 * iterative and reads property descriptors only: it runs no getter, no
 * `toJSON` and no Proxy trap. A property whose value is `undefined` is left out
 * by JSON and reads `undefined` on the other side too: it passes. A node runs
 * the same walk over every message it receives, so a message that passes here
 * is never refused there.
 */
export function findWireProblem(root: unknown, path: string, depth: number): WireProblem | undefined {
  const steps: Step[] = [{ value: root, path, depth }]
  /** The objects whose subtree is being walked: meeting one again is a cycle (a shared, acyclic reference is fine). */
  const open = new Set<object>()
  while (steps.length > 0) {
    const step = steps.pop() as Step
    if ('leave' in step) {
      open.delete(step.leave)
      continue
    }
    const { value } = step
    const what = primitiveProblem(value)
    if (what !== undefined) return problem(step.path, what)
    if (typeof value !== 'object' || value === null) continue
    if (isProxy(value)) return problem(step.path, 'is a Proxy (reading it would run its traps)')
    if (open.has(value)) return problem(step.path, 'refers back to an object that contains it (a cycle)')
    if (step.depth > MAX_DEPTH) return problem(step.path, `nests deeper than ${MAX_DEPTH} levels`)
    const shape = shapeProblem(value)
    if (shape !== undefined) return problem(step.path, shape)
    open.add(value)
    steps.push({ leave: value })
    const children: Step[] = []
    const array = Array.isArray(value)
    const keys = array ? Array.from({ length: value.length }, (_, i) => i) : Object.keys(value)
    for (const key of keys) {
      const at = childPath(step.path, key)
      if (!array && FORBIDDEN_KEYS.has(key as string)) return problem(step.path, `has a "${key as string}" key, which every node refuses`)
      const descriptor = Object.getOwnPropertyDescriptor(value, key)
      if (!descriptor) return problem(at, 'is a hole in an array (JSON makes it null)')
      if (descriptor.get || descriptor.set) return problem(at, 'is a getter or setter (JSON would send what it returned, running its code)')
      if (descriptor.value === undefined) {
        if (array) return problem(at, 'is undefined in an array (JSON makes it null)')
        continue
      }
      children.push({ value: descriptor.value, path: at, depth: step.depth + 1 })
    }
    // Reversed, so the first bad field in order is the one named.
    for (let i = children.length - 1; i >= 0; i--) steps.push(children[i] as Step)
  }
  return undefined
}

function primitiveProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return 'is a BigInt (JSON has none: send it as a string)'
    case 'symbol':
      return 'is a symbol'
    case 'function':
      return 'is a function'
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${value} (JSON makes it null)`
    default:
      return undefined
  }
}

/** Why an object is not a plain object or array, if it is not. */
function shapeProblem(value: object): string | undefined {
  if (Object.getOwnPropertySymbols(value).length > 0) return 'has a symbol-keyed property (JSON leaves it out)'
  if (Array.isArray(value)) return undefined
  const prototype = Object.getPrototypeOf(value) as object | null
  // Object.prototype (of any realm) or none: a plain object.
  if (prototype === null || Object.getPrototypeOf(prototype) === null) return undefined
  const constructor = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value as { name?: unknown } | undefined
  const name = typeof constructor === 'function' && typeof constructor.name === 'string' && constructor.name ? constructor.name : 'class'
  return `is a ${name} instance (JSON keeps only plain objects and arrays)`
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `[${JSON.stringify(key)}]`
  return path === '' ? name : name.startsWith('[') ? `${path}${name}` : `${path}.${name}`
}

function problem(path: string, what: string): WireProblem {
  const shown = path === '' ? 'the message' : path.length > PATH_CHARS ? `${path.slice(0, PATH_CHARS)}...` : path
  return { path: shown, what }
}

/** Throws InvalidMessageError unless `event` (field `field` of a message) is an event object with a non-empty string `type`. */
function checkEvent(event: unknown, field: string): void {
  if (typeof event !== 'object' || event === null || Array.isArray(event) || typeof (event as { type?: unknown }).type !== 'string' || (event as { type: string }).type.length === 0) {
    throw new InvalidMessageError(`"${field}" must be an event object with a string "type"`)
  }
}

/** Throws InvalidMessageError unless `t` is a call's timeout as it crosses: ms ≥ 0, or null for Infinity. */
function checkTimeout(t: unknown): void {
  if (t !== null && (typeof t !== 'number' || !(t >= 0) || !Number.isFinite(t))) throw new InvalidMessageError('"t" must be a number of ms >= 0, or null for Infinity')
}

// ---- errors across the wire -----------------------------------------------

type ErrorClass = new (...args: never[]) => Error

/** Every keepsake error class, by name: an error crosses as its name and fields and comes back as the same class. */
const errorClasses = new Map<string, ErrorClass>()
for (const module of [coreErrors, storeErrors, clusterErrors]) {
  for (const value of Object.values(module)) {
    if (typeof value === 'function' && (value === coreErrors.KeepsakeError || value.prototype instanceof coreErrors.KeepsakeError)) {
      errorClasses.set(value.name, value as ErrorClass)
    }
  }
}

const RESERVED_FIELDS = new Set(['name', 'message', 'stack', 'cause', ...FORBIDDEN_KEYS])

export function encodeError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} }
  const fields: Record<string, string | number | boolean | null> = {}
  for (const [key, value] of Object.entries(error)) {
    if (RESERVED_FIELDS.has(key)) continue
    if (typeof value === 'string' || typeof value === 'boolean' || value === null) fields[key] = value
    else if (typeof value === 'number') fields[key] = Number.isFinite(value) ? value : null
  }
  const cause = (error as { cause?: unknown }).cause
  const wire: WireError = { name: error.name, message: error.message, fields }
  if (cause === undefined) return wire
  return { ...wire, cause: cause instanceof Error ? { name: cause.name, message: cause.message } : { name: 'Error', message: String(cause) } }
}

/** The error again, as its own class when this node knows it (so `instanceof` works), else RemoteError. */
export function decodeError(wire: WireError): Error {
  const type = errorClasses.get(wire.name)
  if (!type) return new RemoteError(wire.name, wire.message)
  const cause = wire.cause && Object.assign(new Error(wire.cause.message), { name: wire.cause.name })
  const error = Reflect.construct(Error, cause ? [wire.message, { cause }] : [wire.message], type) as Error
  for (const [key, value] of Object.entries(wire.fields)) {
    if (!RESERVED_FIELDS.has(key) && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) {
      Object.defineProperty(error, key, { value, enumerable: true, writable: false })
    }
  }
  Object.defineProperty(error, 'name', { value: wire.name, enumerable: true, writable: true })
  return error
}
