/** The storage of every empty mailbox that never held more than it does now: nothing is written to it. */
const NONE: readonly never[] = Object.freeze([])

/** Past this many slots, a mailbox that empties gives its storage back (a backlog's ring is not kept for good). */
const KEPT_SLOTS = 16

/**
 * A FIFO queue: a ring of slots (a power of two) that doubles when full, so
 * a push and a shift write one slot and allocate nothing; most branches hold
 * one message at a time, and that costs no array operation at all.
 */
export class Mailbox<T> {
  #slots: (T | undefined)[] = NONE as never[]
  #head = 0
  #size = 0

  get size(): number {
    return this.#size
  }

  push(item: T): void {
    if (this.#size === this.#slots.length) this.#grow()
    const slots = this.#slots
    slots[(this.#head + this.#size) & (slots.length - 1)] = item
    this.#size++
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const slots = this.#slots
    const item = slots[this.#head]
    slots[this.#head] = undefined
    this.#head = (this.#head + 1) & (slots.length - 1)
    if (--this.#size === 0 && slots.length > KEPT_SLOTS) this.#slots = NONE as never[]
    return item
  }

  /** Puts `item` back at the head (a message taken back from a worker that did not finish it). */
  unshift(item: T): void {
    if (this.#size === this.#slots.length) this.#grow()
    const slots = this.#slots
    this.#head = (this.#head - 1) & (slots.length - 1)
    slots[this.#head] = item
    this.#size++
  }

  /** Empties the queue, returning what was in it, oldest first. */
  takeAll(): T[] {
    const rest = this.#inOrder(this.#size)
    this.#slots = NONE as never[]
    this.#head = 0
    this.#size = 0
    return rest
  }

  /** The first `length` slots' worth of items from the head, oldest first. */
  #inOrder(length: number): T[] {
    const slots = this.#slots
    const items = new Array<T>(length)
    for (let i = 0; i < this.#size; i++) items[i] = slots[(this.#head + i) & (slots.length - 1)] as T
    return items
  }

  #grow(): void {
    const items = this.#inOrder(Math.max(4, this.#slots.length * 2))
    this.#slots = items.fill(undefined as T, this.#size)
    this.#head = 0
  }
}
