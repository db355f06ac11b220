import { Branch, type AnyBranch } from '../supervisor/Branch'
import type { RestartType } from '../supervisor/childSpec'
import type { IntensityUse } from '../supervisor/intensity'
import { Supervisor, type ChildInfo, type Strategy } from '../supervisor/Supervisor'
import type { BranchStatus } from '../supervisor/types'
import type { Activity, LastCrash } from './activity'
import type { NodeKeys } from './keys'

/** Branches by status. */
export type StatusCounts = Record<BranchStatus, number>

/** One node of the tree as the page gets it. */
export interface ViewNode {
  readonly key: string
  /** `worker`: a child of a supervisor that is not up (restarting or stopped), or not a branch. */
  readonly kind: 'supervisor' | 'branch' | 'worker'
  readonly id: string
  /** Ids from the root down, joined by `/`: what the filter matches. */
  readonly path: string
  readonly status: string
  /** The key of the supervisor holding it. */
  readonly parent?: string
  /** Times its supervisor restarted it. */
  readonly restarts: number
  /** Its restart type, as a supervisor's child. */
  readonly restart?: RestartType
  readonly strategy?: Strategy
  /** Restarts within its intensity window now, and the limit. */
  readonly intensity?: IntensityUse
  /** A branch: its worker's incarnation, the worker restarts it made, queued messages, messages/s, last crash. */
  readonly incarnation?: number
  readonly workerRestarts?: number
  readonly queued?: number
  readonly rate?: number
  readonly lastCrash?: LastCrash
  /** A branch: where its state is made durable, where its worker runs (when not in this thread), ms idle before it passivates (when it does). */
  readonly durable?: { readonly mode: 'snapshot' | 'journal'; readonly durability: 'sync' | 'batched' }
  readonly isolation?: 'thread' | 'process'
  readonly idleTimeout?: number
  /** A supervisor: the branches below it, by status (whatever the filter). */
  readonly counts?: StatusCounts
  readonly children?: readonly ViewNode[]
  /** Children left out by the filter's limit (or the node cap), their own children included. */
  readonly hidden?: number
}

/** The whole process, or the tree under the root, in numbers. */
export interface Totals {
  readonly supervisors: number
  readonly branches: number
  readonly byStatus: StatusCounts
  /** Messages queued per second, all branches together. */
  readonly rate: number
  readonly queued: number
}

/** What one client wants to see. */
export interface ViewFilter {
  /** Case-insensitive part of a node's path; empty matches all. */
  readonly q: string
  /** A branch status, `crashed` (crashed since the inspector started), or empty for all. */
  readonly status: string
  /** `start` keeps start order; the others put the busiest branches of each supervisor first. */
  readonly sort: 'start' | 'rate' | 'queue' | 'restarts'
  /** The most children shown per supervisor. */
  readonly limit: number
}

/** The cluster node the inspector runs on, when it was given one. */
export interface ClusterView {
  readonly node: string
  readonly cluster: string
  /** Live nodes, this one included. */
  readonly nodes: readonly string[]
  /** Global names this node holds: how many, and the first 100. */
  readonly heldCount: number
  readonly held: readonly string[]
  /** The node's cluster pools, if it has any: each live node's keys, as the heartbeats carried them. */
  readonly pools?: readonly ClusterPoolSummary[]
}

/** A cluster pool across the live nodes, from their heartbeats (its keys by node: `GET /api/pools`). */
export interface ClusterPoolSummary {
  readonly name: string
  /** Keys active on all the live nodes together. */
  readonly keys: number
  readonly nodes: readonly { readonly node: string; readonly keys: number; readonly overloaded: boolean }[]
}

/** One update of the page: the tree cut to the filter, and the totals. */
export interface View {
  readonly at: number
  readonly cluster?: ClusterView
  readonly totals: Totals
  readonly roots: readonly ViewNode[]
  /** Nodes sent, and branches matching the filter (shown or not). */
  readonly shown: number
  readonly matched: number
}

/** A node of the model: what the page may see of it, and the object for actions. */
export interface Entry {
  readonly node: Omit<ViewNode, 'children' | 'hidden'>
  readonly object: Supervisor | AnyBranch | undefined
  readonly parent: Supervisor | undefined
  readonly children: readonly Entry[] | undefined
}

/** The tree, walked once per update and shared by every client. */
export interface Model {
  readonly at: number
  readonly cluster: ClusterView | undefined
  readonly roots: readonly Entry[]
  readonly index: ReadonlyMap<string, Entry>
  readonly totals: Totals
}

/** However many branches there are, a view holds at most this many nodes. */
export const NODE_CAP = 2000

/** Walks the trees under `roots` into a model. */
export function buildModel(roots: readonly (Supervisor | AnyBranch)[], keys: NodeKeys, activity: Activity, now: number, cluster?: ClusterView): Model {
  const index = new Map<string, Entry>()
  const totals = { supervisors: 0, branches: 0, byStatus: noCounts(), rate: 0, queued: 0 }

  const add = (entry: Entry): Entry => {
    index.set(entry.node.key, entry)
    return entry
  }

  const branchEntry = (branch: AnyBranch, path: string, parent: Supervisor | undefined, info: ChildInfo | undefined): Entry => {
    const worker = branch.children()[1]
    const status = info && info.status !== 'running' ? info.status : branch.status
    const rate = activity.rate(branch)
    const queued = branch._queued
    const lastCrash = activity.lastCrash(branch)
    const setup = branch._setup()
    totals.branches++
    totals.byStatus[status]++
    totals.rate += rate
    totals.queued += queued
    // Plain properties, undefined when absent (JSON leaves them out): this runs for every branch on every update.
    const node: Entry['node'] = {
      key: keys.of(branch),
      kind: 'branch',
      id: info ? info.id : branch.id,
      path,
      status,
      parent: parent && keys.of(parent),
      restarts: info ? info.restarts : 0,
      restart: info?.restart,
      intensity: branch._intensity(),
      incarnation: worker?.id === 'worker' ? worker.incarnation : 0,
      workerRestarts: worker?.id === 'worker' ? worker.restarts : 0,
      queued,
      rate,
      lastCrash,
      durable: setup.durable,
      isolation: setup.isolation === 'none' ? undefined : setup.isolation,
      idleTimeout: setup.idleTimeout === Infinity ? undefined : setup.idleTimeout
    }
    return add({ node, object: branch, parent, children: undefined })
  }

  const supervisorEntry = (supervisor: Supervisor, path: string, parent: Supervisor | undefined, info: ChildInfo | undefined): Entry => {
    totals.supervisors++
    const key = keys.of(supervisor)
    const before = { ...totals.byStatus }
    const children = supervisor.whichChildren().map((child) => childEntry(child, `${path}/${child.id}`, supervisor, key))
    const counts = noCounts()
    for (const status of Object.keys(counts) as BranchStatus[]) counts[status] = totals.byStatus[status] - before[status]
    return add({
      node: {
        key,
        kind: 'supervisor',
        id: info?.id ?? supervisor.id,
        path,
        status: info && info.status !== 'running' ? info.status : supervisor.status,
        ...(parent ? { parent: keys.of(parent) } : {}),
        restarts: info?.restarts ?? 0,
        ...(info ? { restart: info.restart } : {}),
        strategy: supervisor.strategy,
        intensity: supervisor._intensity(),
        counts
      },
      object: supervisor,
      parent,
      children
    })
  }

  const childEntry = (info: ChildInfo, path: string, parent: Supervisor, parentKey: string): Entry => {
    const { child } = info
    if (child instanceof Supervisor) return supervisorEntry(child, path, parent, info)
    if (child instanceof Branch) return branchEntry(child, path, parent, info)
    return add({
      node: { key: `${parentKey}/${info.id}`, kind: info.type === 'supervisor' ? 'supervisor' : 'worker', id: info.id, path, status: info.status, parent: parentKey, restarts: info.restarts, restart: info.restart },
      object: undefined,
      parent,
      children: undefined
    })
  }

  const entries = roots.map((root) => (root instanceof Supervisor ? supervisorEntry(root, root.id, undefined, undefined) : branchEntry(root, root.id, undefined, undefined)))
  return { at: now, cluster, roots: entries, index, totals }
}

/** Cuts the model to what one client asked for: matching nodes, `limit` children per supervisor, {@link NODE_CAP} nodes in all. */
export function viewOf(model: Model, filter: ViewFilter): View {
  const q = filter.q.toLowerCase()
  const filtering = q !== '' || filter.status !== ''
  let budget = NODE_CAP
  let matched = 0

  const matches = (entry: Entry): boolean => {
    const { node } = entry
    if (q !== '' && !node.path.toLowerCase().includes(q)) return false
    if (filter.status === '') return true
    return filter.status === 'crashed' ? node.lastCrash !== undefined : node.status === filter.status
  }

  /** Branches (and stubs) matching below `entry`, itself included. */
  const countMatching = (entry: Entry): number =>
    entry.children ? entry.children.reduce((sum, child) => sum + countMatching(child), 0) : matches(entry) ? 1 : 0

  const visit = (entry: Entry): ViewNode | undefined => {
    if (!entry.children) {
      if (!matches(entry)) return undefined
      matched++
      if (budget <= 0) return undefined
      budget--
      return entry.node
    }
    if (budget <= 0) {
      matched += countMatching(entry)
      return undefined
    }
    budget--
    const shown: ViewNode[] = []
    let hidden = 0
    for (const child of ordered(entry.children, filter.sort)) {
      if (shown.length >= filter.limit) {
        const count = countMatching(child)
        matched += count
        hidden += count
        continue
      }
      const before = matched
      const node = visit(child)
      if (node) shown.push(node)
      else hidden += matched - before
    }
    if (filtering && shown.length === 0 && hidden === 0 && !matchesPath(entry)) {
      budget++
      return undefined
    }
    return { ...entry.node, children: shown, ...(hidden > 0 ? { hidden } : {}) }
  }

  const matchesPath = (entry: Entry): boolean => filter.status === '' && q !== '' && entry.node.path.toLowerCase().includes(q)

  const roots: ViewNode[] = []
  for (const root of model.roots) {
    const node = visit(root)
    if (node) roots.push(node)
  }
  return { at: model.at, ...(model.cluster ? { cluster: model.cluster } : {}), totals: model.totals, roots, shown: NODE_CAP - budget, matched }
}

const metrics: Record<Exclude<ViewFilter['sort'], 'start'>, (node: Entry['node']) => number> = {
  rate: (node) => node.rate ?? 0,
  queue: (node) => node.queued ?? 0,
  restarts: (node) => node.restarts + (node.workerRestarts ?? 0)
}

/** Supervisors first in start order, then branches, by the sort's measure (busiest first) unless `start`. */
function ordered(children: readonly Entry[], sort: ViewFilter['sort']): readonly Entry[] {
  if (sort === 'start') return children
  const metric = metrics[sort]
  const supervisors = children.filter((c) => c.children)
  const leaves = children.filter((c) => !c.children).sort((a, b) => metric(b.node) - metric(a.node))
  return [...supervisors, ...leaves]
}

function noCounts(): StatusCounts {
  return { running: 0, restarting: 0, passivated: 0, stopping: 0, stopped: 0 }
}
