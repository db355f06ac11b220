import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Mailbox } from '../../src/supervisor/Mailbox'

// The mailbox against the plainest model of a FIFO queue, an array: any
// sequence of pushes, shifts, put-backs and drains, at depths where its ring
// wraps, doubles (also while wrapped, and thousands deep) and is given back
// when it empties, gives the same items in the same order. Seeded;
// KEEPSAKE_SEED replays another run.

type Op =
  | { readonly kind: 'push'; readonly n: number }
  | { readonly kind: 'shift'; readonly n: number }
  | { readonly kind: 'unshift'; readonly n: number }
  | { readonly kind: 'takeAll' }

/** Counts of one step: mostly a few (where a small ring wraps and doubles), sometimes thousands. */
const count = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }) })

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: count.map((n) => ({ kind: 'push' as const, n })) },
  { weight: 4, arbitrary: count.map((n) => ({ kind: 'shift' as const, n })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => ({ kind: 'unshift' as const, n })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'takeAll' as const }) }
)

/**
 * Where the ring's slots should be (a power of two from 4, doubled when full, given back past 16
 * when emptied): only to count which shapes the runs reached. The assertions are against the array.
 */
class Shape {
  slots = 0
  head = 0
  readonly reached = { grewWrapped: false, wrappedBack: false, givenBack: false, deep: false }

  add(size: number, atHead: boolean): void {
    if (size === this.slots) {
      if (this.head !== 0) this.reached.grewWrapped = true
      this.slots = Math.max(4, this.slots * 2)
      this.head = 0
      if (this.slots >= 4096) this.reached.deep = true
    }
    if (atHead) {
      if (this.head === 0 && size > 0) this.reached.wrappedBack = true
      this.head = (this.head - 1 + this.slots) % this.slots
    }
  }

  take(sizeAfter: number): void {
    this.head = (this.head + 1) % this.slots
    if (sizeAfter === 0 && this.slots > 16) {
      this.reached.givenBack = true
      this.slots = 0
    }
  }

  clear(): void {
    this.slots = 0
    this.head = 0
  }
}

const seed = Number(process.env.KEEPSAKE_SEED ?? 1024)

describe(`Mailbox against an array (seed ${seed})`, () => {
  it('keeps every item, in order, through wraps, doublings and give-backs at any depth', () => {
    const runs = { grewWrapped: 0, wrappedBack: 0, givenBack: 0, deep: 0 }
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const mailbox = new Mailbox<number>()
        const model: number[] = []
        const shape = new Shape()
        let next = 0
        for (const o of ops) {
          if (o.kind === 'push') {
            for (let i = 0; i < o.n; i++) {
              shape.add(model.length, false)
              mailbox.push(next)
              model.push(next++)
            }
          } else if (o.kind === 'shift') {
            const got: (number | undefined)[] = []
            const want: (number | undefined)[] = []
            for (let i = 0; i < o.n; i++) {
              got.push(mailbox.shift())
              const empty = model.length === 0
              want.push(model.shift())
              if (!empty) shape.take(model.length)
            }
            expect(got).toEqual(want)
          } else if (o.kind === 'unshift') {
            for (let i = 0; i < o.n; i++) {
              shape.add(model.length, true)
              mailbox.unshift(next)
              model.unshift(next++)
            }
          } else {
            expect(mailbox.takeAll()).toEqual(model.splice(0))
            shape.clear()
          }
          expect(mailbox.size).toBe(model.length)
        }
        expect(mailbox.takeAll()).toEqual(model)
        expect(mailbox.size).toBe(0)
        expect(mailbox.shift()).toBeUndefined()
        for (const key of Object.keys(runs) as (keyof typeof runs)[]) if (shape.reached[key]) runs[key]++
      }),
      { numRuns: 200, seed }
    )
    // The runs reached each shape of the ring, often.
    expect(runs.grewWrapped).toBeGreaterThan(30)
    expect(runs.wrappedBack).toBeGreaterThan(30)
    expect(runs.givenBack).toBeGreaterThan(10)
    expect(runs.deep).toBeGreaterThan(10)
  })

  it('a queue tens of thousands deep, drained while refilled, gives back exactly what went in', () => {
    const mailbox = new Mailbox<number>()
    const model: number[] = []
    let next = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 2000 + round * 10; i++) (mailbox.push(next), model.push(next++))
      const got = Array.from({ length: 1500 }, () => mailbox.shift())
      expect(got).toEqual(model.splice(0, 1500))
      expect(mailbox.size).toBe(model.length)
    }
    expect(model.length).toBeGreaterThan(30_000)
    expect(mailbox.takeAll()).toEqual(model)
  })
})
