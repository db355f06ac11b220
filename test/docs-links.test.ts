import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Every link in the README and the guides leads to a file of this repository (and a heading in
// it) that exists. The README is also the npm registry's page, where a relative link or image
// is broken: there every link into the repository is absolute, under package.json's repository.

const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { repository: { url: string } }
const repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
const raw = repository.replace('https://github.com/', 'https://raw.githubusercontent.com/')
const absolute = [`${repository}/blob/main/`, `${raw}/main/`]

/** The text outside fenced code blocks (a `#` line in a config sample is not a heading). */
function prose(file: string): string {
  return readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '')
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, title] of prose(file).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (title as string).toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    result.add(n === 0 ? slug : `${slug}-${n}`)
  }
  return result
}

/** Each link's target, as written: `[text](target)` and images alike. */
function links(file: string): string[] {
  return [...prose(file).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string)
}

/** Where a link leads in this checkout: a file relative to the root, and an anchor; undefined for other sites. */
function resolveLink(from: string, target: string): { file: string; anchor?: string } | undefined {
  const [path, anchor] = target.split('#') as [string, string | undefined]
  const base = absolute.find((prefix) => path.startsWith(prefix))
  if (base !== undefined) return { file: path.slice(base.length), anchor }
  if (/^[a-z]+:/.test(path)) return undefined
  const file = path === '' ? from : relative(root, normalize(join(root, dirname(from), path)))
  return { file, anchor }
}

const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)
const files = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...guides]

describe('links', () => {
  it('the README links into the repository only by absolute URLs (the registry page has no files beside it)', () => {
    const relativeOnes = links('README.md').filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith('#'))
    expect(relativeOnes).toEqual([])
    expect(links('README.md').filter((target) => absolute.some((prefix) => target.startsWith(prefix))).length).toBeGreaterThan(10)
  })

  it.each(files)('every link in %s leads to a file and heading that exist', (file) => {
    const broken = links(file).filter((target) => {
      const to = resolveLink(file, target)
      if (to === undefined) return false
      if (!existsSync(join(root, to.file))) return true
      return to.anchor !== undefined && to.file.endsWith('.md') && !anchors(to.file).has(to.anchor)
    })
    expect(broken).toEqual([])
  })
})
