import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository's root. */
export const root = fileURLToPath(new URL('../..', import.meta.url))

/** Each public entry point, and the source file it is built from. */
export const entries: Record<string, string> = {
  keepsake: 'src/index.ts',
  'keepsake/sqlite': 'src/sqlite.ts',
  'keepsake/postgres': 'src/postgres.ts',
  'keepsake/telemetry': 'src/telemetry.ts',
  'keepsake/inspector': 'src/inspector.ts',
  'keepsake/cluster': 'src/cluster.ts'
}

/** The ```ts blocks of a Markdown file (path relative to the root), in order. */
export function snippets(file: string): string[] {
  return [...readFileSync(join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
}

/** README.md and every docs/*.md: the files whose snippets are programs. */
export function documents(): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

const strictNodeNext = {
  strict: true,
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'es2022',
  lib: ['es2022'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true
}

/** Runs tsc on a tsconfig; resolves with its diagnostics (none when it passed). */
async function compile(tsconfig: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', tsconfig, '--pretty', 'false'], { cwd: root, timeout: 300_000, maxBuffer: 16 << 20 })
    return ''
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    if (!stdout && !stderr) throw error
    return `${stdout ?? ''}${stderr ?? ''}`
  }
}

/**
 * Type-checks snippets as a user's project would: each one an ES module
 * (`.mts`) under strict `module: nodenext`, importing `keepsake` (and its
 * subpaths) as declarations emitted from the sources. A snippet that augments
 * a module (`declare module 'keepsake'`) is compiled alone, so its
 * augmentation types no other snippet. Resolves with each snippet's errors,
 * and where the declarations are.
 */
export async function typecheckSnippets(
  dir: string,
  named: ReadonlyMap<string, string>
): Promise<{ errors: Map<string, string[]>; declarations: string }> {
  // A snippet's relative import names a file of the repository, as run from its root.
  const relativeImport = /from '\.\/([^']+?)(?:\.js)?'/g
  const imported = [...named.values()].flatMap((code) => [...code.matchAll(relativeImport)].map((m) => `${m[1]}.ts`))
  // Declarations in a CommonJS scope, where their extensionless relative imports resolve under nodenext.
  const declarations = join(dir, 'declarations')
  mkdirSync(declarations, { recursive: true })
  writeFileSync(
    join(dir, 'tsconfig.declarations.json'),
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: root, outDir: declarations },
      files: [...new Set([...Object.values(entries), ...imported])].map((file) => join(root, file)),
      include: []
    })
  )
  const emitted = await compile(join(dir, 'tsconfig.declarations.json'))
  if (emitted) throw new Error(`the declarations did not compile:\n${emitted}`)
  writeFileSync(join(declarations, 'package.json'), '{ "type": "commonjs" }\n')
  const paths = Object.fromEntries(
    Object.entries(entries).map(([spec, file]) => [spec, [join(declarations, file.replace(/\.ts$/, '.d.ts'))]])
  )

  const files = new Map<string, string>()
  for (const [name, code] of named) {
    const file = join(dir, `${name}.mts`)
    writeFileSync(file, code.replace(relativeImport, (_, path: string) => `from '${join(declarations, path)}.js'`))
    files.set(name, file)
  }
  const alone = [...files].filter(([name]) => /declare module ['"]keepsake/.test(named.get(name) as string))
  const together = [...files].filter(([name]) => !alone.some(([other]) => other === name))
  const groups = [together, ...alone.map((entry) => [entry])].filter((group) => group.length > 0)
  const outputs = await Promise.all(
    groups.map(async (group, i) => {
      const tsconfig = join(dir, `tsconfig.snippets-${i}.json`)
      writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { ...strictNodeNext, paths }, files: group.map(([, file]) => file) }))
      return compile(tsconfig)
    })
  )
  const errors = new Map<string, string[]>([...files.keys()].map((name) => [name, []]))
  let last: string | undefined
  for (const line of outputs.join('\n').split('\n')) {
    if (!line.trim()) continue
    // A diagnostic's first line names its file; the lines that explain it are indented.
    const name = /^\s/.test(line) ? last : [...files].find(([, file]) => line.includes(relative(root, file)) || line.includes(file))?.[0]
    if (name === undefined) throw new Error(`tsc reported outside the snippets:\n${outputs.join('\n')}`)
    errors.get(name)?.push(line)
    last = name
  }
  return { errors, declarations }
}

/** Each line of the `.d.ts` files under `dir` that names `any` outside comments and strings, as `file:line: text`. */
export function anyIn(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.d.ts')) continue
    const code = readFileSync(join(dir, entry), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
      .replace(/\/\/.*$/gm, '')
      .replace(/`[^`]*`|"[^"\n]*"|'[^'\n]*'/g, '""')
    code.split('\n').forEach((line, i) => {
      if (/\bany\b/.test(line)) found.push(`${entry}:${i + 1}: ${line.trim()}`)
    })
  }
  return found
}
