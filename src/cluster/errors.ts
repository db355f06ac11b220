import { KeepsakeError } from '../shared/errors'

/** This node has no connection to NATS right now: a message for another node can't leave. */
export class ClusterUnavailableError extends KeepsakeError {
  readonly nodeId: string

  constructor(nodeId: string, what: string) {
    super(
      'CLUSTER_UNAVAILABLE',
      `Node "${nodeId}" is not connected to NATS, so ${what} can't reach another node. Local ` +
        `branches keep working; retry once the connection is back (the client reconnects by itself).`
    )
    this.nodeId = nodeId
  }
}

/** The node that holds a global name did not answer (it is gone, or its lease has not expired yet). */
export class NodeUnavailableError extends KeepsakeError {
  readonly branchName: string

  constructor(name: string, nodeId: string) {
    super(
      'NODE_UNAVAILABLE',
      `Branch "${name}" is held by node "${nodeId}", which does not answer. If that node died, ` +
        `its lease expires and a failover-capable branch comes back on another node: retry later.`
    )
    this.branchName = name
  }
}

/** A remote transfer did not happen; the branch is where it was, working. */
export class TransferFailedError extends KeepsakeError {
  readonly branchName: string

  constructor(name: string, why: string, options?: { cause?: unknown }, code = 'TRANSFER_FAILED') {
    super(code, `Branch "${name}" was not moved (${why}); it stays on its node and keeps working.`, options)
    this.branchName = name
  }
}

/**
 * A transfer to a node whose logic for the branch's kind is older than the
 * version the branch's state was written by (a rolling upgrade half done):
 * older code can't read newer state, so the branch was not moved and keeps
 * answering where it is. A `TransferFailedError`, so code that catches those
 * catches this too.
 */
export class VersionTooNewError extends TransferFailedError {
  /** The branch's kind. */
  readonly kind: string
  /** The version of the logic the branch's state was written by. */
  readonly version: number
  /** The node that was asked to take it. */
  readonly nodeId: string
  /** The version of the kind's logic on that node. */
  readonly nodeVersion: number

  constructor(name: string, kind: string, version: number, nodeId: string, nodeVersion: number) {
    super(
      name,
      `its state is version ${version} of kind "${kind}" and node "${nodeId}" runs version ${nodeVersion}, ` +
        `which can't read it; upgrade node "${nodeId}" to version ${version} or later first, or move it to a node that runs it`,
      undefined,
      'VERSION_TOO_NEW'
    )
    this.kind = kind
    this.version = version
    this.nodeId = nodeId
    this.nodeVersion = nodeVersion
  }
}

/**
 * A durable global branch whose node is gone waits, its state in the store,
 * because no live node runs its kind at the version its state was last
 * written by or later (an older node can't read it): a call to it rejects
 * with this until such a node joins, which then starts it.
 */
export class NoCompatibleNodeError extends KeepsakeError {
  /** The waiting branch's global name. */
  readonly branchName: string
  /** The branch's kind. */
  readonly kind: string
  /** The version of the logic the branch's state was last written by. */
  readonly version: number

  constructor(name: string, kind: string, version: number, live: Readonly<Record<string, number | null>>) {
    const nodes = Object.entries(live).map(([node, v]) => `"${node}": ${v === null ? 'no such kind' : `version ${v}`}`)
    super(
      'NO_COMPATIBLE_NODE',
      `Branch "${name}" (kind "${kind}") was last run by version ${version} of its logic, and no live node ` +
        `runs version ${version} or later of "${kind}" (${nodes.length ? nodes.join(', ') : 'no live node'}). It waits, ` +
        `its state kept in the store, and starts on the first such node to join: start or upgrade a node to version ${version}.`
    )
    this.branchName = name
    this.kind = kind
    this.version = version
  }
}

/** An operation that only the owner of a global name can do was asked of another node. */
export class NotOwnerError extends KeepsakeError {
  readonly branchName: string

  constructor(name: string, nodeId: string, owner: string | undefined) {
    super(
      'NOT_OWNER',
      `Node "${nodeId}" does not hold branch "${name}" (${owner ? `node "${owner}" does` : 'no node does'}). ` +
        `Ask its owner, or use node.owner(name) to find it.`
    )
    this.branchName = name
  }
}

/** A branch was asked of a kind this node was not started with. */
export class UnknownKindError extends KeepsakeError {
  readonly kind: string

  constructor(kind: string, known: readonly string[]) {
    super(
      'UNKNOWN_KIND',
      `No kind "${kind}" on this node (it knows: ${known.length ? known.join(', ') : 'none'}). Give every ` +
        `node the same kinds in startNode({ kinds }): a branch's logic is code and can't travel.`
    )
    this.kind = kind
  }
}

/** A message from the network was refused (bad schema, too big, or a prototype-polluting key). */
export class InvalidMessageError extends KeepsakeError {
  constructor(why: string) {
    super('INVALID_MESSAGE', `A cluster message was refused: ${why}. It was dropped before it reached any branch.`)
  }
}

/** An error raised on another node whose class this node does not know; `remoteName` names it. */
export class RemoteError extends KeepsakeError {
  readonly remoteName: string

  constructor(remoteName: string, message: string) {
    super('REMOTE_ERROR', `${remoteName} on another node: ${message}`)
    this.remoteName = remoteName
  }
}

/**
 * A message to another node can't carry a value as it is: nodes speak JSON,
 * and keepsake sends nothing JSON would refuse or change, nor anything a node
 * refuses (a BigInt, a cycle, a getter, NaN, a function, a symbol, a Map or a
 * Date, a `__proto__` key, nesting past 64 levels, more than the message size
 * limit). `path` names the field (`event.amount`, `events[1].items[3]`,
 * `reply.total`). Nothing was sent; for a reply, the message was processed and
 * only its answer could not come back.
 */
export class WireValueError extends KeepsakeError {
  /** Where the value is: `event...`, `events[i]...` or `reply...`. */
  readonly path: string

  constructor(path: string, what: string) {
    super(
      'WIRE_VALUE',
      `${path} ${what}, so it can't cross to another node: messages between nodes are JSON of plain ` +
        `objects and arrays, strings, finite numbers, booleans and null, within the wire's depth and ` +
        `size (maxMessageBytes) limits. It was not sent; convert the value (a BigInt or a Date to a string, a ` +
        `Map to an array of entries) or keep it on its node.`
    )
    this.path = path
  }
}

/**
 * No live node can take a new key: the view of the cluster is empty
 * (`reason: 'no-nodes'`), every node in it is overloaded
 * (`'all-overloaded'`), or the nodes left to ask did not answer a placement
 * request (`'unreachable'`: no responder, or no answer in time; a node
 * stalled, cut off or stopping while its heartbeat is still live; `nodes`
 * names them). A placement strategy returns it rather than throwing, so a
 * pool can wait for the next heartbeat or refuse the call with it.
 */
export class NoNodeError extends KeepsakeError {
  /** The key that could not be placed. */
  readonly key: string
  /** Why: no node is live, every live node refuses new keys, or the nodes asked did not answer. */
  readonly reason: 'no-nodes' | 'all-overloaded' | 'unreachable'
  /** With `'unreachable'`: the nodes that did not answer (empty otherwise). */
  readonly nodes: readonly string[]

  constructor(key: string, reason: 'no-nodes' | 'all-overloaded' | 'unreachable', live: number, nodes: readonly string[] = []) {
    super('NO_NODE', noNodeMessage(key, reason, live, nodes))
    this.key = key
    this.reason = reason
    this.nodes = reason === 'unreachable' ? [...nodes] : []
  }
}

function noNodeMessage(key: string, reason: NoNodeError['reason'], live: number, nodes: readonly string[]): string {
  if (reason === 'no-nodes') {
    return `No node can take key "${key}": no node is live in this view of the cluster. Start a node, or retry once one has joined (its heartbeat puts it in the view).`
  }
  if (reason === 'unreachable') {
    return (
      `No node can take key "${key}": node(s) ${nodes.map((node) => `"${node}"`).join(', ')} did not answer a placement request ` +
      `(no responder, or no answer in time) and no other of the ${live} live node(s) could take it. The node may be stalled, ` +
      `cut off or stopping while its heartbeat is still live: retry once its lease has lapsed or it answers again.`
    )
  }
  return `No node can take key "${key}": all ${live} live node(s) are overloaded. Retry once their load falls (their heartbeats say so), or add nodes.`
}

/** A cluster pool was asked of a node that was not started with it. */
export class UnknownPoolError extends KeepsakeError {
  /** The pool's name, as asked. */
  readonly pool: string

  constructor(pool: string, known: readonly string[]) {
    super(
      'UNKNOWN_POOL',
      `No cluster pool "${pool}" on this node (it knows: ${known.length ? known.join(', ') : 'none'}). Give every ` +
        `node the same pools in startNode({ pools }): a key's logic is code and can't travel.`
    )
    this.pool = pool
  }
}

/**
 * A key of a cluster pool has as many messages in flight as its bound
 * (`maxInFlightPerKey`: calls awaiting their reply and messages waiting for
 * the key to activate or release): this one was refused, not queued, so a
 * slow key can't pile up work. Nothing was delivered.
 */
export class KeyOverloadedError extends KeepsakeError {
  /** The pool's name. */
  readonly pool: string
  /** The key. */
  readonly key: string
  /** The bound that was reached. */
  readonly limit: number

  constructor(pool: string, key: string, limit: number) {
    super(
      'KEY_OVERLOADED',
      `Key "${key}" of pool "${pool}" already has ${limit} messages in flight (maxInFlightPerKey); this one was ` +
        `refused and not delivered. Retry once its earlier calls have answered, or raise maxInFlightPerKey.`
    )
    this.pool = pool
    this.key = key
    this.limit = limit
  }
}

/**
 * A node of a cluster pool has as many messages in flight as its bound
 * (`maxInFlightPerNode`): it takes no new key of the pool until its load
 * falls to 80% of the bound (its heartbeat says it is overloaded, so no node
 * places keys there). A placement that meets it goes elsewhere; a caller
 * sees it only when a message to a key it holds is refused.
 */
export class NodeOverloadedError extends KeepsakeError {
  /** The pool's name. */
  readonly pool: string
  /** The node that refused. */
  readonly nodeId: string
  /** The bound that was reached. */
  readonly limit: number

  constructor(pool: string, nodeId: string, limit: number) {
    super(
      'NODE_OVERLOADED',
      `Node "${nodeId}" has ${limit} messages of pool "${pool}" in flight (maxInFlightPerNode) and takes no more ` +
        `until they fall to 80% of that. Retry later, add nodes, or raise maxInFlightPerNode.`
    )
    this.pool = pool
    this.nodeId = nodeId
    this.limit = limit
  }
}

/**
 * A call to a key of a cluster pool was sent to the node holding it, and that
 * node's heartbeat lapsed before it answered (it died, was cut off, or
 * stalled): the call failed at once instead of waiting out its timeout, and
 * whether it was applied is unknown. The node may have applied it before it
 * died, or, stalled, may still try to; a durable key's next activation is
 * fenced at the store, so such a late write is refused, but one that landed
 * before is kept. Casts are not failed this way.
 */
export class OutcomeUnknownError extends KeepsakeError {
  /** The pool's name. */
  readonly pool: string
  /** The key called. */
  readonly key: string
  /** The node the call was sent to. */
  readonly nodeId: string

  constructor(pool: string, key: string, nodeId: string, eventType: string) {
    super(
      'OUTCOME_UNKNOWN',
      `The call of "${eventType}" to key "${key}" of pool "${pool}" was sent to node "${nodeId}", whose heartbeat lapsed ` +
        `before it answered: it may or may not have been applied. Read the key's state before retrying a call that must ` +
        `not happen twice (its next message places it on a live node), or make the call idempotent.`
    )
    this.pool = pool
    this.key = key
    this.nodeId = nodeId
  }
}
