import { fileURLToPath } from 'node:url'

/** This file: src/worker/isolated/source.ts under tsx or vitest, a chunk of dist/ (.js or .cjs) in the build. */
export const here = fileURLToPath(import.meta.url)

/** True when keepsake runs from its TypeScript sources (its tests, tsx), false from the build. */
export const fromSource = /\.[cm]?ts$/.test(here)
