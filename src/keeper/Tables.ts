import type { TableProvider } from '../worker/tables'

/** A branch's named tables. Held by the keeper, so they outlive every worker incarnation. */
export class Tables implements TableProvider {
  // Made on first use: most branches never use a table, and an empty Map costs ~100 B a branch.
  #tables: Map<string, Map<unknown, unknown>> | undefined

  /** Tables holding `entries` (a branch moved from another process brings its tables). */
  constructor(entries?: Iterable<readonly [string, Map<unknown, unknown>]>) {
    if (entries) this.#tables = new Map(entries)
  }

  /** The table called `name`, created empty on first use. */
  table(name: string): Map<unknown, unknown> {
    this.#tables ??= new Map()
    let found = this.#tables.get(name)
    if (!found) {
      found = new Map()
      this.#tables.set(name, found)
    }
    return found
  }

  /** The names of the tables created so far. */
  names(): string[] {
    return this.#tables ? [...this.#tables.keys()] : []
  }

  /** Every table with its name, in creation order. */
  entries(): [string, Map<unknown, unknown>][] {
    return this.#tables ? [...this.#tables] : []
  }
}
