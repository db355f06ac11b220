import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Mailbox } from '../../src/supervisor/Mailbox'

// The mailbox against the plainest model of a FIFO queue, an array: any
// sequence of pushes, shifts, put-backs and drains, at depths where its ring
// wraps, doubles (thousands deep) and is given back when it empties, gives the
// same items in the same order. Seeded; KEEPSAKE_SEED replays another run.

type Op =
  | { readonly kind: 'push'; readonly n: number }
  | { readonly kind: 'shift'; readonly n: number }
  | { readonly kind: 'unshift' }
  | { readonly kind: 'takeAll' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => ({ kind: 'push' as const, n })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => ({ kind: 'shift' as const, n })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'unshift' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'takeAll' as const }) }
)

const seed = Number(process.env.KEEPSAKE_SEED ?? 1024)

describe(`Mailbox against an array (seed ${seed})`, () => {
  it('keeps every item, in order, through compactions at any depth', () => {
    let compactingRuns = 0
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const mailbox = new Mailbox<number>()
        const model: number[] = []
        let next = 0
        let taken = 0 // items shifted since the queue was last empty or drained: past 1,024 it compacts
        let compacted = false
        for (const o of ops) {
          if (o.kind === 'push') {
            for (let i = 0; i < o.n; i++) {
              mailbox.push(next)
              model.push(next++)
            }
          } else if (o.kind === 'shift') {
            const got: (number | undefined)[] = []
            const want: (number | undefined)[] = []
            for (let i = 0; i < o.n; i++) {
              got.push(mailbox.shift())
              want.push(model.shift())
              if (model.length === 0) taken = 0
              else if (++taken > 1024) compacted = true
            }
            expect(got).toEqual(want)
          } else if (o.kind === 'unshift') {
            mailbox.unshift(next)
            model.unshift(next++)
            taken = Math.max(0, taken - 1)
          } else {
            expect(mailbox.takeAll()).toEqual(model.splice(0))
            taken = 0
          }
          expect(mailbox.size).toBe(model.length)
        }
        expect(mailbox.takeAll()).toEqual(model)
        if (compacted) compactingRuns++
      }),
      { numRuns: 150, seed }
    )
    // The runs reached the depths where it compacts, often.
    expect(compactingRuns).toBeGreaterThan(20)
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
