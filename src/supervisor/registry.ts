import { NameTakenError } from '../shared/errors'

/** Unique names for live branches in this process. */
export class NameRegistry<T> {
  readonly #owners = new Map<string, T>()

  /** Claims `name` for `owner`; throws {@link NameTakenError} if someone holds it. */
  register(name: string, owner: T): void {
    if (this.#owners.has(name)) throw new NameTakenError(name)
    this.#owners.set(name, owner)
  }

  /** Releases `name` if `owner` holds it. */
  unregister(name: string, owner: T): void {
    if (this.#owners.get(name) === owner) this.#owners.delete(name)
  }

  /** The owner of `name`, if any. */
  lookup(name: string): T | undefined {
    return this.#owners.get(name)
  }
}
