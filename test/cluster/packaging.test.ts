import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = fileURLToPath(new URL('../../src', import.meta.url))

/** Every module `entry` reaches through static and dynamic imports: files under src, and package names. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const text = readFileSync(file, 'utf8')
    for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      if (!spec!.startsWith('.')) {
        packages.add(spec!)
        continue
      }
      const base = join(dirname(file), spec!)
      const found = [`${base}.ts`, join(base, 'index.ts')].find(existsSync)
      if (found) visit(found)
    }
  }
  visit(entry)
  return { files, packages }
}

describe('packaging', () => {
  it('the core never reaches keepsake/cluster or the NATS client; only the subpath does', () => {
    const core = reach(join(src, 'index.ts'))
    expect([...core.files].map((f) => relative(src, f)).filter((f) => f.startsWith('cluster'))).toEqual([])
    expect([...core.packages].filter((p) => p.startsWith('@nats-io'))).toEqual([])
    const cluster = reach(join(src, 'cluster.ts'))
    expect([...cluster.packages].filter((p) => p.startsWith('@nats-io')).sort()).toEqual(['@nats-io/jetstream', '@nats-io/kv', '@nats-io/transport-node'])
  })
})
