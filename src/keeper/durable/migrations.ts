import type { AnyActorLogic, Snapshot } from 'xstate'
import { describe, InvalidOptionError, SnapshotMigrationError } from '../../shared/errors'
import { assertFunction } from '../../shared/validate'
import { encodeJson } from '../../stores/codec'
import { inertScope, revive } from './replay'
import { initialContext, unfitShape } from './restorable'

/** What a migration step and `validate` are told beside the state. */
export interface MigrationContext {
  /** The durable id of the state being migrated. */
  readonly id: string
  /** The version the step's input was written by (`to - 1`); for `validate`, the version migrated from. */
  readonly from: number
}

/**
 * One step: the persisted snapshot (xstate's `getPersistedSnapshot()` form,
 * as JSON: a machine's `{ status, value, context, children, ... }`, a
 * transition logic's `{ status, context, ... }`) as version `from` wrote it,
 * to the same for the next version. Return a new object or the one given,
 * changed. Throw to refuse (the start fails with `SnapshotMigrationError`).
 */
export type MigrationStep<From = never, To = unknown> = (snapshot: From, context: MigrationContext) => To

/**
 * Steps keyed by the version they produce: `{ 2: (s: V1) => V2, 3: (s: V2) => V3 }`.
 * Annotate each step's parameter (or use `migrations<V1>()`, which infers them).
 */
export type MigrationRecord = Readonly<Record<number, MigrationStep>>

/**
 * A chain of steps typed from the old shape to the new one, built by
 * `migrations<V1>()`: each `step(to, fn)` takes the previous step's output
 * type. Immutable: `step` returns a new chain.
 */
export class Migrations<S = unknown> {
  /** The version the chain starts from: snapshots older than it have no step. */
  readonly from: number
  /** The version the last step produces (`from` when there is none). */
  readonly version: number
  /** @internal The steps, keyed by the version each produces. */
  readonly steps: ReadonlyMap<number, MigrationStep>

  /** @internal Use `migrations()`. */
  constructor(from: number, steps: ReadonlyMap<number, MigrationStep>) {
    this.from = from
    this.steps = steps
    this.version = from + steps.size
  }

  /**
   * Adds the step to version `to` (the chain's `version + 1`, checked:
   * `InvalidOptionError` otherwise), from the shape the chain reached.
   *
   * @example
   * const steps = migrations<{ context: { count: number } }>()
   *   .step(2, (s) => ({ ...s, context: { total: s.context.count } }))
   */
  step<T>(to: number, step: (snapshot: S, context: MigrationContext) => T): Migrations<T> {
    if (to !== this.version + 1) throw new InvalidOptionError('migrations.step(to)', `the next version, ${this.version + 1}`, to)
    assertFunction(step, `migrations.step(${to})`)
    return new Migrations<T>(this.from, new Map([...this.steps, [to, step as MigrationStep]]))
  }
}

/**
 * Starts a typed chain of migration steps for `durable.migrations`, from
 * snapshots of version `from` (default 1) whose persisted shape is `S`.
 *
 * @example
 * durable: { store, migrations: migrations<V1>().step(2, (s) => toV2(s)) } // version 2
 */
export function migrations<S>(from = 1): Migrations<S> {
  if (!Number.isSafeInteger(from) || from < 1) throw new InvalidOptionError('migrations(from)', 'an integer >= 1', from)
  return new Migrations<S>(from, new Map())
}

/**
 * Checks a state `validate` hook accepts: return `true` or nothing when it is
 * good; `false` or a string (the reason) when not; or throw.
 */
export type StateCheck = (snapshot: never, context: MigrationContext) => boolean | string | void

/** The logic's version and how to bring older snapshots to it, checked. */
export interface MigrationPlan {
  /** The version of the logic now: stamped on every snapshot and event written. */
  readonly version: number
  /** Steps keyed by the version each produces. */
  readonly steps: ReadonlyMap<number, MigrationStep>
  readonly validate: StateCheck | undefined
}

/** A snapshot as a store holds it, as far as migrating is concerned. */
export interface VersionedSnapshot {
  readonly seq: number
  readonly version: number
  readonly data: unknown
}

/**
 * Reads `version`, `eventVersion` (its older name: one number versions the
 * logic, its snapshots and its events), `migrations` and `validate` of
 * durable options (`path` names them in errors). The version defaults to the
 * last migration step's, else 1.
 */
export function readMigrationPlan(o: Record<string, unknown>, path: string): MigrationPlan {
  const steps = readSteps(o.migrations, `${path}.migrations`)
  const highest = Math.max(1, ...steps.keys())
  const given = [o.version, o.eventVersion].filter((v) => v !== undefined)
  for (const [key, v] of [['version', o.version], ['eventVersion', o.eventVersion]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > 2 ** 31 - 1)) {
      throw new InvalidOptionError(`${path}.${key}`, 'an integer from 1 to 2^31 - 1', v)
    }
  }
  if (given.length === 2 && given[0] !== given[1]) {
    throw new InvalidOptionError(`${path}.eventVersion`, `absent, or equal to ${path}.version (one version covers the logic's snapshots and events)`, o.eventVersion)
  }
  const version = (given[0] as number | undefined) ?? highest
  if (highest > version) throw new InvalidOptionError(`${path}.migrations`, `steps to versions up to ${path}.version (${version})`, highest)
  if (o.validate !== undefined) assertFunction(o.validate, `${path}.validate`)
  return { version, steps, validate: o.validate as StateCheck | undefined }
}

function readSteps(value: unknown, path: string): ReadonlyMap<number, MigrationStep> {
  if (value === undefined) return new Map()
  if (value instanceof Migrations) return value.steps
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(path, 'migrations<V1>().step(2, ...) or a record { 2: (s: V1) => V2, ... }', value)
  }
  const steps = new Map<number, MigrationStep>()
  for (const [key, step] of Object.entries(value)) {
    const to = Number(key)
    if (!Number.isSafeInteger(to) || to < 2 || String(to) !== key) throw new InvalidOptionError(`${path}[${key}]`, 'keyed by the version it produces, an integer >= 2', key)
    assertFunction(step, `${path}[${key}]`)
    steps.set(to, step as MigrationStep)
  }
  return steps
}

/** Brings one stored snapshot to the plan's version (see `snapshotUpgrader`). */
export type SnapshotUpgrader = (id: string, stored: VersionedSnapshot) => { readonly data: unknown; readonly migrated: boolean }

/**
 * What brings a stored snapshot to the shape of `plan.version`: as it is when
 * it has that version, else migrated step by step and checked against `logic`
 * (see `unfitFor`). It throws `SnapshotMigrationError` naming id, version and
 * reason for a newer version, a missing step, a step that throws, or a result
 * the logic or `plan.validate` refuses. Pure: nothing is written. Make one
 * per batch of snapshots: what the checks share is computed once.
 */
export function snapshotUpgrader(logic: AnyActorLogic, plan: MigrationPlan, input: unknown): SnapshotUpgrader {
  const { version: target, steps } = plan
  const checks = logicChecks(logic, input)
  return (id, stored) => {
    const from = stored.version
    const fail = (why: string, cause?: unknown) => new SnapshotMigrationError(id, stored.seq, from, target, why, cause)
    if (from === target) return { data: stored.data, migrated: false }
    if (from > target) {
      throw fail(`it was written by a newer version of the logic than this one; run version ${from} or later (or migrate the store down first)`)
    }
    let data = stored.data
    for (let v = from; v < target; v++) {
      const step = steps.get(v + 1)
      if (!step) throw fail(`there is no migration step to version ${v + 1}; add durable.migrations[${v + 1}] (an identity step if only events changed)`)
      try {
        data = (step as MigrationStep<unknown>)(data, { id, from: v })
      } catch (error) {
        throw fail(`the step to version ${v + 1} threw`, error)
      }
    }
    const why = unfitFor(checks, plan, id, from, data)
    if (why !== undefined) throw fail(why.reason, why.cause)
    return { data, migrated: true }
  }
}

/** The logic's side of the checks, built lazily, once per upgrader: its initial context, and an inert scope to restore in. */
function logicChecks(logic: AnyActorLogic, input: unknown) {
  let shared: { scope: ReturnType<typeof inertScope>; initial: unknown } | undefined
  const once = () => {
    if (!shared) {
      const scope = inertScope(logic)
      shared = { scope, initial: initialContext(logic, scope, input) }
    }
    return shared
  }
  return {
    shape: (data: unknown) => unfitShape(logic, data, once().initial),
    // A snapshot with children revives them as actors in its scope: it gets a scope of its own, so none meets another's.
    restore: (data: unknown) => revive(logic, hasChildren(data) ? inertScope(logic) : once().scope, data as Snapshot<unknown>, input)
  }
}

function hasChildren(data: unknown): boolean {
  const children = (data as { children?: unknown }).children
  return typeof children === 'object' && children !== null && Object.keys(children).length > 0
}

/** Why a migrated state can't be started from, or undefined: that a store can keep it, the logic's checks, its own restore, then the user's `validate`. */
function unfitFor(checks: ReturnType<typeof logicChecks>, plan: MigrationPlan, id: string, from: number, data: unknown): { reason: string; cause?: unknown } | undefined {
  try {
    encodeJson(data, 'snapshot.data')
  } catch (error) {
    return { reason: 'the migrated snapshot is not JSON a store can keep', cause: error }
  }
  const why = checks.shape(data)
  if (why !== undefined) return { reason: `the migrated snapshot can't be restored by this logic: ${why}` }
  try {
    checks.restore(data)
  } catch (error) {
    return { reason: "the migrated snapshot doesn't fit the logic", cause: error }
  }
  if (!plan.validate) return undefined
  let verdict: unknown
  try {
    verdict = (plan.validate as (s: unknown, c: MigrationContext) => unknown)(data, { id, from })
  } catch (error) {
    return { reason: 'durable.validate threw on the migrated snapshot', cause: error }
  }
  if (verdict === undefined || verdict === true) return undefined
  return { reason: `durable.validate refused the migrated snapshot${typeof verdict === 'string' ? `: ${verdict}` : ` (it returned ${describe(verdict)})`}` }
}
