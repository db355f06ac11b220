import { readFileSync } from 'node:fs'

// Summarizes a V8 .cpuprofile (from `node --cpu-prof`) as text: the functions
// with the most self time and the most inclusive time, optionally only those
// whose file URL contains a filter (e.g. `/src/` for keepsake's own code).
// It backs the "where the time goes" paragraphs of RESULTS.md:
//
//   node --cpu-prof --cpu-prof-dir=bench/profiles --expose-gc --import tsx bench/index.ts --quick cast
//   npx tsx bench/cpuprofile-summary.ts bench/profiles/<file>.cpuprofile [top=25] [url filter]

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg = '25', filter = ''] = process.argv.slice(2)
if (!file) throw new Error('usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top] [path filter]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const top = Number(topArg)

const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const parents = new Map<number, number>()
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id)

/** The URL of each frame label, for the filter. */
const urls = new Map<string, string>()

/** `name file:line`, the file shortened to its last two path segments. */
function frame(id: number): string {
  const { functionName, url, lineNumber } = (nodes.get(id) as ProfileNode).callFrame
  const label = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`
  urls.set(label, url)
  return label
}

// Time per sampled node (µs), then attributed to each frame once per stack (recursion counted once).
const selfTime = new Map<string, number>()
const inclusiveTime = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  total += dt
  const own = frame(id)
  selfTime.set(own, (selfTime.get(own) ?? 0) + dt)
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
    const f = frame(at)
    if (seen.has(f)) continue
    seen.add(f)
    inclusiveTime.set(f, (inclusiveTime.get(f) ?? 0) + dt)
  }
})

function print(title: string, times: Map<string, number>): void {
  console.log(`\n${title}${filter ? ` (frames matching "${filter}")` : ''}`)
  const rows = [...times]
    .filter(([f]) => (urls.get(f) ?? '').includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
  for (const [f, t] of rows) {
    console.log(`${(t / 1000).toFixed(1).padStart(9)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${f}`)
  }
}

console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`)
print('self time', selfTime)
print('inclusive time', inclusiveTime)
