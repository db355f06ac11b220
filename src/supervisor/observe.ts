import type { AnyBranch } from './Branch'
import { addObserver, live, type ObserverOf } from './probe'
import type { Supervisor } from './Supervisor'

/** Sees what every branch and supervisor of the process does (see `ObserverOf`). */
export type Observer = ObserverOf<AnyBranch, Supervisor>

/**
 * Adds an observer of every branch and supervisor in the process; returns
 * the function that removes it.
 */
export function observe(observer: Observer): () => void {
  // Its methods take a branch and a supervisor; the probe calls them with nothing else.
  return addObserver(observer)
}

/** The live branches of the process (only branches add themselves to `live.branches`). */
export function allLiveBranches(): ReadonlySet<AnyBranch> {
  return live.branches as ReadonlySet<AnyBranch>
}

/** The live supervisors of the process (only supervisors add themselves to `live.supervisors`). */
function allLiveSupervisors(): ReadonlySet<Supervisor> {
  return live.supervisors as ReadonlySet<Supervisor>
}

/** Every live supervisor and branch that no live supervisor holds: the roots of the process's trees. */
export function liveRoots(): (Supervisor | AnyBranch)[] {
  const held = new Set<unknown>()
  for (const supervisor of allLiveSupervisors()) {
    // A stopped child is listed as undefined, which no root is.
    for (const { child } of supervisor.whichChildren()) held.add(child)
  }
  const roots: (Supervisor | AnyBranch)[] = []
  for (const supervisor of allLiveSupervisors()) if (!held.has(supervisor)) roots.push(supervisor)
  for (const branch of allLiveBranches()) if (!held.has(branch)) roots.push(branch)
  return roots
}
