import { fromTransition } from 'xstate'

export const counter = fromTransition((n, e) => {
  if (e.type === 'hang') for (;;) {}
  return e.type === 'inc' ? n + 1 : n
}, 0)
