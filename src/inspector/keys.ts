/**
 * Short, stable keys for the supervisors and branches the page shows: the
 * page names a node by key in its requests, never by an id (ids repeat
 * across trees). Weakly held, so a stopped node's key goes with it.
 */
export class NodeKeys {
  readonly #keys = new WeakMap<object, string>()
  #next = 0

  /** The node's key, made on first sight. */
  of(node: object): string {
    let key = this.#keys.get(node)
    if (key === undefined) {
      key = (++this.#next).toString(36)
      this.#keys.set(node, key)
    }
    return key
  }
}
