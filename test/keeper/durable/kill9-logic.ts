import { fileURLToPath } from 'node:url'
import { fromTransition } from 'xstate'

/** Adds `n` to a total; `adds` counts the adds. */
export const durableCounter = fromTransition(
  (s: { total: number; adds: number }, e: { type: 'add'; n: number } | { type: 'get' }) =>
    e.type === 'add' ? { total: s.total + e.n, adds: s.adds + 1 } : s,
  { total: 0, adds: 0 }
)

/** The same logic named by module, for a branch whose worker is isolated. */
export const durableCounterModule = { module: fileURLToPath(import.meta.url), export: 'durableCounter' }
