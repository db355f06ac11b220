import { fromTransition } from 'xstate'

/** Adds `n` to a total; `adds` counts the adds. */
export const durableCounter = fromTransition(
  (s: { total: number; adds: number }, e: { type: 'add'; n: number } | { type: 'get' }) =>
    e.type === 'add' ? { total: s.total + e.n, adds: s.adds + 1 } : s,
  { total: 0, adds: 0 }
)
