import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium'
import { EXPECTED, walkThrough } from './walkthrough'

// The core (branches, supervisors, pools, dedupe, passivation, MemoryStore,
// the durable keeper) imports no node: module, so it runs wherever xstate
// runs. Bundled for the browser, with nothing external, esbuild fails on any
// node: import (Node-only features fetch their built-ins at first use).

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Bundles `entry` for the browser; throws on anything it can't resolve there. */
async function browserBundle(entry: string, globalName?: string): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: globalName ? 'iife' : 'esm',
    globalName,
    write: false,
    metafile: true,
    logLevel: 'silent'
  })
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
  return { code: result.outputFiles[0]?.text ?? '', inputs: [...Object.keys(result.metafile.inputs), ...imports] }
}

describe('the core, bundled for the browser', () => {
  it('imports no node: module (esbuild resolves the whole graph for platform browser)', async () => {
    const { inputs } = await browserBundle(here('../../src/index.ts'))
    expect(inputs.filter((path) => path.startsWith('node:') || /^(crypto|worker_threads|child_process|fs|path|url|module)$/.test(path))).toEqual([])
    expect(inputs.some((path) => path.includes('src/supervisor/dedupe.ts'))).toBe(true)
    expect(inputs.some((path) => path.includes('src/stores/MemoryStore.ts'))).toBe(true)
  })

  it('runs the walk-through here in Node too', async () => {
    expect(await walkThrough()).toEqual(EXPECTED)
  })

  describe('in headless Chromium', () => {
    let browser: Awaited<ReturnType<typeof launchChromium>>
    beforeAll(async () => {
      browser = await launchChromium()
    }, 60_000)
    afterAll(async () => {
      await browser?.close()
    })

    it('runs the walk-through: a crash, a restart with the kept state, a tree, dedupe, a durable branch', async () => {
      const { code } = await browserBundle(here('./walkthrough.ts'), 'keepsakeWalk')
      const page = await browser.context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(String(error)))
      try {
        await page.setContent('<!doctype html><title>keepsake walk-through</title>')
        await page.addScriptTag({ content: code })
        const seen = await page.evaluate(() => (globalThis as unknown as { keepsakeWalk: { walkThrough(): Promise<unknown> } }).keepsakeWalk.walkThrough())
        expect(seen).toEqual(EXPECTED)
        expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined')
        expect(errors).toEqual([])
      } finally {
        await page.close()
      }
    }, 60_000)
  })
})
