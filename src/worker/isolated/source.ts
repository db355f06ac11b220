import { moduleFile } from '../../shared/platform'

/** This file: src/worker/isolated/source.ts under tsx or vitest, a chunk of dist/ (.js or .cjs) in the build, the bundle that holds it (Node only). */
export const here = (): string => moduleFile(import.meta.url as string | undefined)

/** True when keepsake runs from its TypeScript sources (its tests, tsx), false from the build (or a bundle). */
export const fromSource = /\.[cm]?ts$/.test(String(import.meta.url))
