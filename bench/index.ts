import { writeFileSync } from 'node:fs'
import { activationGroup } from './activation'
import { callGroup } from './call'
import { castGroup } from './cast'
import { clusterGroup } from './cluster'
import { describeEnvironment } from './environment'
import { dedupGroup } from './dedup'
import { durableGroup } from './durable'
import { failoverGroup } from './failover'
import { gcExposed } from './harness'
import { inspectorGroup } from './inspector'
import { isolationGroup } from './isolation'
import { loadGroup } from './load'
import { memoryGroup } from './memory'
import { migrationGroup } from './migration'
import { placementGroup } from './placement'
import { readProfile, type Profile } from './profile'
import { markdown, type Group } from './report'
import { restartGroup } from './restart'
import { scaleGroup } from './scale'
import { telemetryGroup } from './telemetry'

// `npm run bench [-- --quick] [-- group ...]`: runs the groups one after the
// other (never two at once: they would share the 2 cores and skew each other),
// prints a markdown table on stdout and writes the numbers as JSON. Progress
// goes to stderr so stdout stays a clean table.

const GROUPS: Record<string, (profile: Profile) => Promise<Group>> = {
  call: callGroup,
  cast: castGroup,
  restart: restartGroup,
  activation: activationGroup,
  dedup: dedupGroup,
  scale: scaleGroup,
  memory: memoryGroup,
  durable: durableGroup,
  migration: migrationGroup,
  telemetry: telemetryGroup,
  inspector: inspectorGroup,
  isolation: isolationGroup,
  load: loadGroup,
  cluster: clusterGroup,
  placement: placementGroup,
  failover: failoverGroup
}

const args = process.argv.slice(2)
const profile = readProfile(args)
const named = args.filter((a) => !a.startsWith('--'))
const unknown = named.filter((name) => !(name in GROUPS))
if (unknown.length > 0) {
  console.error(`unknown benchmark group(s): ${unknown.join(', ')}; known: ${Object.keys(GROUPS).join(', ')}`)
  process.exit(2)
}
if (!gcExposed) console.error('warning: run with --expose-gc (npm run bench does) so groups do not pay for each other\'s garbage')

const environment = describeEnvironment(profile.quick)
const groups: Group[] = []
for (const [id, run] of Object.entries(GROUPS)) {
  if (named.length > 0 && !named.includes(id)) continue
  const started = performance.now()
  console.error(`bench: ${id}...`)
  groups.push(await run(profile))
  console.error(`bench: ${id} done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

process.stdout.write(markdown(environment, groups))
// Only a full run of every group replaces the committed numbers; a smoke run or
// a run of some groups (e.g. under --cpu-prof) writes beside them.
const partial = profile.quick ? 'quick' : named.length > 0 ? 'partial' : undefined
const file = new URL(partial ? `./results.${partial}.json` : './results.json', import.meta.url)
writeFileSync(file, `${JSON.stringify({ environment, groups }, null, 2)}\n`)
console.error(`bench: wrote ${file.pathname}`)
