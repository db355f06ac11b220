import { fromTransition } from 'xstate'
import { migrations, type MigrationTarget } from '../../../src/index'

// A cart whose version 1 kept item names, and whose version 2 keeps lines with a quantity.
// The operator tests write version 1 snapshots, then migrate the store to version 2 (also through scripts/migrate.ts, which imports `target`).

export type CartV1 = { status: 'active'; context: { items: string[] } }
export type CartV2 = { status: 'active'; context: { lines: { sku: string; qty: number }[] } }

export const cartV1 = fromTransition((s: { items: string[] }, e: { type: 'add'; sku: string }) => ({ items: [...s.items, e.sku] }), { items: [] as string[] })
export const cartV2 = fromTransition(
  (s: { lines: { sku: string; qty: number }[] }, e: { type: 'add'; sku: string }) => ({ lines: [...s.lines, { sku: e.sku, qty: 1 }] }),
  { lines: [] as { sku: string; qty: number }[] }
)

export const steps = migrations<CartV1>().step(2, (s) => {
  // An item named '!' is one no version 2 cart can hold: the step refuses it.
  if (s.context.items.includes('!')) throw new Error('a cart holds an unnamed item')
  return { ...s, context: { lines: s.context.items.map((sku) => ({ sku, qty: 1 })) } }
})

export const target: MigrationTarget = { logic: cartV2, migrations: steps }
