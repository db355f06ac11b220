import type { TableProvider } from '../worker/tables'

/** A branch's named tables. Held by the keeper, so they outlive every worker incarnation. */
export class Tables implements TableProvider {
  readonly #tables = new Map<string, Map<unknown, unknown>>()

  /** The table called `name`, created empty on first use. */
  table(name: string): Map<unknown, unknown> {
    let found = this.#tables.get(name)
    if (!found) {
      found = new Map()
      this.#tables.set(name, found)
    }
    return found
  }

  /** The names of the tables created so far. */
  names(): string[] {
    return [...this.#tables.keys()]
  }
}
