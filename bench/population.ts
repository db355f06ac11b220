/** What can be grown and shrunk, whatever it holds. */
export interface Resizable {
  resize(size: number): Promise<void>
}

/**
 * A set of live members (branches or bare actors) that can be grown and
 * shrunk between measurements, and handed out round-robin so that a call with
 * 10,000 alive really touches 10,000 different ones.
 */
export class Population<T> implements Resizable {
  readonly #members: T[] = []
  readonly #start: () => T | Promise<T>
  readonly #stop: (member: T) => unknown
  #next = 0

  constructor(start: () => T | Promise<T>, stop: (member: T) => unknown) {
    this.#start = start
    this.#stop = stop
  }

  get size(): number {
    return this.#members.length
  }

  /** Starts or stops members until `size` are alive; resolves once the stopped ones have stopped. */
  async resize(size: number): Promise<void> {
    while (this.#members.length < size) {
      const started = this.#start()
      // A synchronous start (createActor) is not awaited: timing it as users write it.
      this.#members.push(started instanceof Promise ? await started : started)
    }
    const stopping: unknown[] = []
    while (this.#members.length > size) stopping.push(this.#stop(this.#members.pop() as T))
    await Promise.all(stopping)
  }

  /** The next member, round-robin. */
  next(): T {
    return this.#members[this.#next++ % this.#members.length] as T
  }
}
