import { fromTransition } from 'xstate'

/** A list that each `add` appends to: which updates a store kept is plain to see. */
export const itemList = fromTransition((items: string[], event: { type: 'add'; item: string }) => [...items, event.item], [] as string[])
