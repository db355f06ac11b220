import { processWide } from '../../shared/processWide'
import { immediate } from '../../shared/platform'
import type { AnyActorLogic, EventObject, Snapshot } from 'xstate'
import { KeepsakeError, RecoveryError, ReplayDivergenceError } from '../../shared/errors'
import { isInstance } from '../../shared/validate'
import { InvalidRecordError } from '../../stores/errors'
import type { NewEvent, PayloadRecord, StoredSnapshot } from '../../stores/KeeperStore'
import { StateChanges } from '../../shared/changes'
import { changeRecord, CHANGE_RECORD, unchangedRecord, withChangeRecords, type ChangeTail } from './changeRecords'
import type { ResumePoint } from '../../worker/restorePoint'
import { groupAppend } from './groupCommit'
import { ACTIVATION_MARKER, eachAfter, isActivationMarker, readForRecovery, type ActivationMark } from './journal'
import { snapshotUpgrader } from './migrations'
import type { DurableConfig } from './options'
import { journalPayload } from './payload'
import { inertScope, replay, revive } from './replay'
import { unrestorable } from './restorable'

/** What a durable keeper tells its branch. */
export interface DurabilityHooks {
  /** An event is durable (journal mode), in order. */
  persisted(record: { seq: number; event: EventObject }): void
  /** Replaying the last segment of the journal gave another state (see `verifyReplay`). */
  divergence(error: ReplayDivergenceError): void
}

/** The events since the newest snapshot, kept to check that they replay to the same state. */
interface Segment {
  readonly base: Snapshot<unknown>
  readonly events: EventObject[]
}

/** A write on the chain, as what its settling does needs it (see `#chain`): one object, not a closure per outcome. */
interface Write {
  /** The recovery epoch it was queued in: a failure of an older one is not this writer's news. */
  readonly epoch: number
  /** Journal appends: the events written, the first one numbered `first`. */
  readonly events: readonly EventObject[] | undefined
  readonly first: number
  /** What the caller awaits, and the chain's end while it is the newest write. */
  done: Promise<void>
}

/**
 * With `verifyReplay: 'sampled'`: after a checked segment, this many minus
 * one are not checked (the first after each start always is).
 */
export const VERIFY_SAMPLE = 10
const ignore = (): void => {}
/** What a snapshot-mode writer without `compactEvery` finds after no snapshot: nothing it would apply. */
const NOTHING_AFTER: ChangeTail = { stored: undefined, end: 0, lastBy: undefined, lastState: 0 }
/** No tags, to spread beside an activation stamp. */
const NO_TAGS: readonly string[] = Object.freeze([])

/**
 * The end of the write chain of each journal, per store. A branch started
 * again under the same id in this process (restarted by its supervisor, say)
 * gets a new Durability; its recovery and writes queue behind the writes the
 * old one still had in flight, so none lands behind its back.
 */
const tails = processWide('durableTails.v2', () => new WeakMap<object, Chains>())

/**
 * The ends of the write chains on one store, by journal id: only of those
 * with a write (or a recovery) in flight, so a store used for many ids holds
 * nothing for an idle one. One is held in a slot, the others in a map: the
 * usual store has one id busy at a time, each write ending before the next
 * begins, and a map would add and drop (and shrink, and rehash) an entry per
 * write. Its methods are public: another copy of keepsake in the process
 * uses this one's (see `processWide`).
 */
class Chains {
  #id: string | undefined = undefined
  #end: Promise<unknown> | undefined = undefined
  #more: Map<string, Promise<unknown>> | undefined = undefined

  get(id: string): Promise<unknown> | undefined {
    return id === this.#id ? this.#end : this.#more?.get(id)
  }

  set(id: string, end: Promise<unknown>): void {
    if (id === this.#id || (this.#id === undefined && !this.#more?.has(id))) {
      this.#id = id
      this.#end = end
    } else (this.#more ??= new Map()).set(id, end)
  }

  delete(id: string): void {
    if (id !== this.#id) this.#more?.delete(id)
    else {
      this.#id = undefined
      this.#end = undefined
    }
  }

  /** How many ids have a chain (for tests). */
  get size(): number {
    return (this.#id === undefined ? 0 : 1) + (this.#more?.size ?? 0)
  }
}

function tailsOf(store: object): Chains {
  let chains = tails.get(store)
  if (!chains) tails.set(store, (chains = new Chains()))
  return chains
}

/**
 * The durable side of a keeper (gen_persist's persist_proc): it writes what
 * the worker processed to a store, in order, and brings it back after the
 * process died. `snapshot` mode writes the persisted snapshot; `journal` mode
 * appends each event and snapshots every `snapshotEvery`. A write that fails
 * fails every write after it, until `recover()` reads the truth back from
 * the store.
 */
export class Durability {
  readonly config: DurableConfig
  readonly #logic: AnyActorLogic
  /** True when the worker's states arrive in xstate's persisted form already (an isolated worker's do). */
  readonly #reportsPersisted: boolean
  #hooks: DurabilityHooks = { persisted: () => {}, divergence: () => {} }
  /** Journal: the last sequence number queued. Snapshot mode: the last snapshot number. */
  #seq = 0
  #failure: { error: unknown } | undefined
  /** Bumped by each recovery: a write queued before it must not run after it. */
  #epoch = 0
  #segment: Segment | undefined
  /** Segments not to check before the next one that is (`verifyReplay: 'sampled'`). */
  #skip = 0
  /** This writer's writes on the chain, oldest first: they settle in that order. */
  readonly #writes: Write[] = []
  /** The ends of the write chains of the journals on this store (see `tails`). */
  readonly #tails: Chains
  /** Batched snapshot mode: the newest state waiting for the write in flight to end. */
  #next: { snapshot: Snapshot<unknown>; done: Promise<void>; resolve(): void; reject(e: unknown): void } | undefined
  #writing = false
  /** Journal mode, after `mark`: the tag naming this writer's activation, on every event it appends. */
  #stamp: readonly string[] | undefined
  /** Snapshot mode with `compactEvery`: each state is written as its changes since the one before. */
  readonly #changes: StateChanges | undefined
  /** With `#changes`: the seq of the newest whole snapshot written (or on its way). */
  #compacted = 0
  /** With `#changes`: how far the state seq runs ahead of the journal's positions (see `#takeOver`). */
  #lag = 0
  /** An all-or-none batch being collected (`callAll`): written in one go when closed. */
  #batch: { events: EventObject[]; last: Snapshot<unknown> | undefined; done: Promise<void>; resolve(): void; reject(e: unknown): void } | undefined

  /**
   * `logic` is what recovery and the replay check run (in an inert scope, in
   * this thread, even when the worker runs elsewhere); `reportsPersisted`:
   * the states given to `begin` and `record` are in persisted form already.
   */
  constructor(logic: AnyActorLogic, config: DurableConfig, reportsPersisted = false) {
    this.#logic = logic
    this.config = config
    this.#reportsPersisted = reportsPersisted
    this.#tails = tailsOf(config.store)
    this.#changes = config.mode === 'snapshot' && config.compactEvery > 0 ? new StateChanges(logic, reportsPersisted) : undefined
  }

  /** Where the branch hears of durable events and divergences. */
  attach(hooks: DurabilityHooks): void {
    this.#hooks = hooks
  }

  /**
   * Reads the newest durable state back: the snapshot, then (journal mode)
   * the later events replayed without side effects. Undefined when the store
   * has nothing for this id. Rejects with `RecoveryError` naming the record
   * at fault (a corrupt one, its `cause` the store's `CorruptRecordError`; a
   * snapshot this logic can't restore; a gap in the journal; an event that
   * could not be applied), or with the store's error.
   */
  recover(input: unknown): Promise<ResumePoint | undefined> {
    const { id } = this.config
    this.#epoch++
    this.#skip = 0
    // On the id's chain like a write: a recovery may write (a migrated state, a takeover), and what
    // comes after it on this id in this process (another writer's recovery too) waits for it.
    const recovered = this.settled().then(() => this.#recover(input))
    const end = recovered.then(ignore, ignore)
    this.#tails.set(id, end)
    void end.then(() => {
      if (this.#tails.get(id) === end) this.#tails.delete(id)
    })
    return recovered
  }

  async #recover(input: unknown): Promise<ResumePoint | undefined> {
    const { store, id, mode } = this.config
    // Snapshot mode reads on through the change records after the snapshot, whether this writer has compactEvery
    // or not, and reads the journal's end beside it. Without a snapshot there are none (every writer saves its first
    // state before anything else), only the end to write after. The records have the snapshot's version: applied
    // before it is migrated.
    const [found, end] = await this.#read(() => Promise.all([store.loadSnapshot(id), mode === 'snapshot' ? store.lastSeq(id) : 0]))
    const tail = mode !== 'snapshot' ? undefined : found || this.#changes ? await withChangeRecords(store, id, found, end) : NOTHING_AFTER
    const current = tail ? tail.stored : found
    // An older version's snapshot is migrated (and checked) here; it is written back once the whole recovery succeeded.
    const upgraded = current && { seq: current.seq, ...snapshotUpgrader(this.#logic, this.config.migration, input)(id, current) }
    // Checked as one just below (restorable by this logic), before anything runs from it.
    const stored = upgraded as { seq: number; data: Snapshot<unknown>; migrated: boolean } | undefined
    if (stored) this.#checkRestorable(stored, input)
    if (!tail) {
      const point = await this.#replayJournal(stored, input)
      // Fenced on the snapshot read: a writer that replaced it meanwhile makes this fail with SnapshotConflictError.
      if (stored?.migrated) await store.saveSnapshot(id, { seq: stored.seq, data: stored.data, version: this.config.migration.version, expectedSeq: (found as StoredSnapshot).seq })
      this.#failure = undefined
      return point
    }
    if (tail.lastBy === 'journal' && tail.lastState > (stored?.seq ?? 0)) {
      throw new RecoveryError(id, tail.end, 'the journal holds events after the snapshot (journal mode wrote it): start it in journal mode')
    }
    this.#changes?.from((stored?.data as { context?: unknown } | undefined)?.context)
    if (stored) {
      this.#revive(inertScope(this.#logic), stored, input)
      await this.#takeOver(stored, found as StoredSnapshot, tail)
    } else {
      this.#seq = 0
      this.#lag = -tail.end
    }
    this.#failure = undefined
    return stored && { kind: 'persisted', snapshot: stored.data, delays: [] }
  }

  /**
   * Snapshot mode, after recovery found `stored` (`found` with any change
   * records after it applied): numbers this writer's states on from it. A
   * writer whose way of writing differs from the journal's last record's
   * (with `compactEvery` or without) may find the other still writing, and
   * fences it out before its first write: with `compactEvery`, by saving
   * the state at the next seq fenced on the snapshot read (the other's next
   * snapshot is then refused); without, by first appending a record that
   * changes nothing at the journal's end (the other's next change record is
   * then refused), then saving so. The same save writes back a migrated
   * state, and, without `compactEvery`, takes the change records in.
   * The appended record holds the state before any migration (`tail.stored`)
   * at the snapshot's version, so that one left without the save (the
   * process died between) is read back with the records before it.
   */
  async #takeOver(stored: { seq: number; data: Snapshot<unknown>; migrated: boolean }, found: StoredSnapshot, tail: ChangeTail): Promise<void> {
    const { store, id, migration } = this.config
    const changesLead = tail.lastBy === 'changes' && tail.lastState >= found.seq
    const switching = this.#changes ? !changesLead : changesLead
    let end = tail.end
    this.#seq = stored.seq
    if (switching) {
      this.#seq++
      if (!this.#changes) {
        const unchanged = unchangedRecord((tail.stored as StoredSnapshot).data as unknown as Snapshot<unknown>, this.#seq)
        await store.append(id, [{ type: CHANGE_RECORD, payload: unchanged as unknown as NewEvent['payload'], version: found.version }], end)
        end++
      }
    }
    if (switching || stored.migrated) await store.saveSnapshot(id, { seq: this.#seq, data: stored.data, version: migration.version, expectedSeq: found.seq })
    this.#compacted = switching || stored.migrated ? this.#seq : found.seq
    this.#lag = this.#seq - end
  }

  /** Runs a store read of recovery; a corrupt record becomes the `RecoveryError` the start fails with. */
  #read<T>(read: () => Promise<T>): Promise<T> {
    return readForRecovery(this.config.id, read)
  }

  #checkRestorable(stored: { seq: number; data: Snapshot<unknown> }, input: unknown): void {
    const why = unrestorable(this.#logic, inertScope(this.#logic), stored.data, input)
    if (why !== undefined) throw new RecoveryError(this.config.id, stored.seq, `the stored snapshot can't be restored by this logic: ${why}`)
  }

  /**
   * Writes a fresh branch's first state, the base later events apply to; it
   * rejects with `SnapshotConflictError` if another writer saved one since
   * recovery found none.
   */
  begin(snapshot: Snapshot<unknown>): Promise<void> {
    const data = this.#persistReported(snapshot)
    this.#segment = this.#openSegment(data)
    this.#changes?.from((snapshot as { context?: unknown }).context)
    return this.#chain(() => this.config.store.saveSnapshot(this.config.id, { seq: 0, data, expectedSeq: null, version: this.config.migration.version }))
  }

  /**
   * Writes an activation marker, the first write of a writer that takes over
   * an id another may still hold (a cluster pool's key placed anew): `mark`
   * at the next sequence number, fenced on the one recovered. Journal mode:
   * an event of type `ACTIVATION_MARKER` appended (recovery skips it), and
   * every event this writer appends after it is tagged
   * `keepsake.activation:<tag>`; snapshot mode: `snapshot` (the recovered
   * state) saved again at the next sequence number, then the marker
   * appended to the id's journal, which snapshot mode leaves otherwise
   * unused, so the markers stay readable. A former writer's later writes
   * name an older sequence number and are refused (`JournalConflictError`,
   * `SnapshotConflictError`); so is this marker, if one of them landed first
   * (recover again, then mark). Resolves with the marker's sequence number.
   */
  mark(mark: ActivationMark, tag: string, snapshot: Snapshot<unknown>): Promise<number> {
    const { store, id, mode, migration } = this.config
    const seq = ++this.#seq
    // 'changes': snapshot mode journaling its states, whose records are attributed one by one like events (see auditActivations).
    const payload = { ...mark, type: ACTIVATION_MARKER, seq, mode: this.#changes ? 'changes' : mode }
    const marker = (expectedSeq: number): Promise<number> => store.append(id, [{ type: ACTIVATION_MARKER, payload, version: migration.version }], expectedSeq)
    this.#stamp = [`${ACTIVATION_MARKER}:${tag}`]
    // With changes the journal numbers the states too: the marker goes after the last one.
    if (mode === 'journal' || this.#changes) return this.#chain(() => marker(seq - this.#lag - 1)).then(() => seq)
    const data = this.#persistReported(snapshot)
    return this.#chain(async () => {
      await store.saveSnapshot(id, { seq, data, expectedSeq: seq - 1, version: migration.version })
      // Only the writer whose snapshot was kept gets here: the journal's end is its to write at.
      await marker(await store.lastSeq(id))
    }).then(() => seq)
  }

  /** Makes `event` (journal) or the state it left (`snapshot` mode) durable. */
  record(event: EventObject, snapshot: Snapshot<unknown>): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error)
    if (this.#batch) {
      this.#batch.events.push(event)
      this.#batch.last = snapshot
      return this.#batch.done
    }
    try {
      if (this.#changes) return this.#saveChange(snapshot)
      if (this.config.mode === 'snapshot') {
        return this.config.durability === 'batched' ? this.#coalesce(snapshot) : this.#saveNext(snapshot)
      }
      return this.#append([event], snapshot)
    } catch (error) {
      return this.#unwritable(error, event)
    }
  }

  /** From now until `closeBatch`, what is recorded is written all or none, in one go. */
  openBatch(): void {
    let resolve!: () => void
    let reject!: (e: unknown) => void
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
    this.#batch = { events: [], last: undefined, done, resolve, reject }
  }

  /** Writes the batch (journal: one append of all its events; snapshot: its last state). */
  closeBatch(): Promise<void> | undefined {
    const batch = this.#batch
    this.#batch = undefined
    if (!batch?.last) {
      batch?.resolve()
      return undefined
    }
    let write: Promise<void>
    try {
      write = this.#failure
        ? Promise.reject(this.#failure.error)
        : this.#changes
          ? this.#saveChange(batch.last)
          : this.config.mode === 'snapshot'
            ? this.#saveNext(batch.last)
            : this.#append(batch.events, batch.last)
    } catch (error) {
      write = this.#unwritable(error, batch.events)
    }
    write.then(batch.resolve, batch.reject)
    return batch.done
  }

  /**
   * A record could not even be prepared (reading the event or state threw,
   * the `tags` function threw, xstate's persisting of the state overflowed):
   * nothing of it is written, and, as after a failed write, nothing after it
   * is until the branch recovers, since the live state already holds it.
   */
  #unwritable(error: unknown, events: unknown): Promise<never> {
    const what = this.config.mode === 'journal' ? 'events' : 'snapshot.data'
    const refused = isInstance(error, KeepsakeError) ? error : new InvalidRecordError(what, 'values that can be read and persisted', events, error)
    this.#failure ??= { error: refused }
    return Promise.reject(refused)
  }

  /** Drops the batch: nothing of it is written (its worker crashed; the calls know). */
  abortBatch(): void {
    this.#batch?.resolve()
    this.#batch = undefined
  }

  /** Resolves once every write queued so far has ended, well or not. */
  settled(): Promise<void> {
    // Each waited for whole: a chain's end rejects when its write failed, and Promise.all would not wait for the other.
    const ended = (write: Promise<unknown> | undefined) => write?.then(ignore, ignore)
    return Promise.all([ended(this.#tails.get(this.config.id)), ended(this.#next?.done)]).then(ignore)
  }

  // ---- journal mode -------------------------------------------------------

  /** Appends `events` (all or none), `snapshot` being the state after the last. */
  #append(events: readonly EventObject[], snapshot: Snapshot<unknown>): Promise<void> {
    const { store, id, durability, migration, snapshotEvery } = this.config
    const first = this.#seq + 1
    const last = (this.#seq += events.length)
    // A call's one event as a one-element literal: an empty array pushed to would grow a backing store for 17.
    const records: NewEvent[] = events.length === 1 ? [this.#recordOf(events[0] as EventObject, migration.version)] : []
    if (events.length > 1) for (const event of events) records.push(this.#recordOf(event, migration.version))
    const done =
      durability === 'batched'
        ? this.#chain(() => groupAppend(store, { id, expectedSeq: first - 1, events: records }), events, first)
        : this.#chain(() => store.append(id, records, first - 1), events, first)
    // A snapshot is a shortcut for recovery, not what makes the events durable:
    // one that fails is taken again at the next interval.
    if (snapshotEvery > 0 && Math.floor(last / snapshotEvery) > Math.floor((first - 1) / snapshotEvery)) {
      const data = this.#persistReported(snapshot)
      void done.then(() => this.#snapshotAt(last, data)).catch(() => {})
    }
    return done
  }

  /** `event` as the journal record appended for it. */
  #recordOf(event: EventObject, version: number): NewEvent {
    // Recovery would skip it as a marker: refused here rather than lost there.
    if (event.type === ACTIVATION_MARKER) throw new InvalidRecordError('events[].type', `a type other than "${ACTIVATION_MARKER}" (reserved for activation markers)`, event.type)
    return { type: event.type, payload: journalPayload(event), version, tags: this.#tagsOf(event) }
  }

  /**
   * The tags stored beside `event`: the `tags` option's, and this writer's activation stamp after `mark`.
   * None is undefined, not an empty array: a store takes that as no tags without reading an array
   * (a shared one is frozen, which takes the engine's slow paths in the store's checks).
   */
  #tagsOf(event: EventObject): readonly string[] | undefined {
    const own = this.config.tags?.(event) ?? undefined
    return this.#stamp ? [...(own ?? NO_TAGS), ...this.#stamp] : own
  }

  async #snapshotAt(seq: number, data: Snapshot<unknown>): Promise<void> {
    const segment = this.#segment
    this.#segment = this.#openSegment(data)
    if (segment) this.#checkLater(segment, data, seq)
    await this.config.store.saveSnapshot(this.config.id, { seq, data, version: this.config.migration.version })
  }

  /**
   * The segment that starts at the snapshot `base`, if it is one to check:
   * with `verifyReplay` true every one; `'sampled'`, the first after each
   * start (recovery) and then one in VERIFY_SAMPLE; false, none. An unchecked
   * segment keeps nothing. `events`: those after `base` already (recovery's).
   */
  #openSegment(base: Snapshot<unknown>, events: EventObject[] = []): Segment | undefined {
    const { mode, verifyReplay, snapshotEvery } = this.config
    // Only in journal mode with snapshots: else a segment would never end, and would keep every event the branch journals.
    if (mode !== 'journal' || verifyReplay === false || snapshotEvery === 0) return undefined
    if (this.#skip > 0) {
      this.#skip--
      return undefined
    }
    if (verifyReplay === 'sampled') this.#skip = VERIFY_SAMPLE - 1
    return { base, events }
  }

  /**
   * Replays `segment` and compares it with `data`, the state the worker
   * reported at `seq`, once the calls waiting now went on: the replay costs a
   * transition per event of the segment, which no caller should wait for
   * (the snapshot is written meanwhile, whatever it finds). A replay that
   * throws where the live worker did not diverged too.
   */
  #checkLater(segment: Segment, data: Snapshot<unknown>, seq: number): void {
    immediate(() => {
      let same: boolean
      try {
        same = this.#replaysTo(segment, data)
      } catch {
        same = false
      }
      if (!same) this.#hooks.divergence(new ReplayDivergenceError(this.config.id, seq))
    })
  }

  /** Whether the segment's events, replayed from its base, reach `data`'s value and context. */
  #replaysTo(segment: Segment, data: Snapshot<unknown>): boolean {
    const scope = inertScope(this.#logic)
    const replayed = this.#persist(replay(this.#logic, scope, revive(this.#logic, scope, segment.base, undefined), segment.events))
    const own = (s: Snapshot<unknown>) => JSON.stringify([(s as { value?: unknown }).value, (s as { context?: unknown }).context])
    return own(replayed) === own(data)
  }

  async #replayJournal(stored: { seq: number; data: Snapshot<unknown> } | undefined, input: unknown): Promise<ResumePoint | undefined> {
    const { id, snapshotEvery } = this.config
    const scope = inertScope(this.#logic)
    let live: Snapshot<unknown> | undefined
    const events: EventObject[] = []
    const apply = (event: EventObject, at: number) => {
      try {
        live = this.#logic.transition(live, event, scope) as Snapshot<unknown>
      } catch (error) {
        throw new RecoveryError(id, at, 'the logic threw replaying it', error)
      }
      if (events.length < snapshotEvery) events.push(event)
    }
    const seq = await this.#eachAfter(stored?.seq ?? 0, (entry) => {
      live ??= this.#revive(scope, stored, input)
      // A marker says who began writing here: no event of the logic's.
      if (isActivationMarker(entry.payload)) return
      const adapted = this.#adapt(entry)
      if (Array.isArray(adapted)) for (const event of adapted) apply(event, entry.seq)
      else apply(adapted as EventObject, entry.seq)
    })
    this.#seq = seq
    if (live === undefined && stored === undefined) return undefined
    live ??= this.#revive(scope, stored, input) // a snapshot alone must fit the logic too
    const data = this.#persist(live)
    // Verify only a segment held whole (a longer one has nothing to check it against), from a snapshot.
    this.#segment = stored && events.length < snapshotEvery ? this.#openSegment(stored.data, events) : undefined
    return { kind: 'persisted', snapshot: data, delays: [] }
  }

  /** The journal after `seq`, activation markers too, to `visit`: see `eachAfter`. */
  #eachAfter(seq: number, visit: (entry: PayloadRecord) => void): Promise<number> {
    return eachAfter(this.config.store, this.config.id, seq, visit)
  }

  #revive(scope: ReturnType<typeof inertScope>, stored: { seq: number; data: Snapshot<unknown> } | undefined, input: unknown): Snapshot<unknown> {
    try {
      return revive(this.#logic, scope, stored?.data, input)
    } catch (error) {
      const why = stored ? "the stored snapshot doesn't fit the logic" : 'the logic could not make the initial state its journal starts from'
      throw new RecoveryError(this.config.id, stored?.seq, why, error)
    }
  }

  /** A stored event as the logic takes it now: as written (no array, as it is most of them), or upgraded by the adapter. */
  #adapt(entry: PayloadRecord): EventObject | readonly EventObject[] {
    const { adapter, migration, id } = this.config
    const eventVersion = migration.version
    const event = entry.payload as unknown as EventObject
    // A primitive has no own `type` either: null and non-objects fail the one read.
    if (typeof (event as { type?: unknown } | null)?.type !== 'string') {
      throw new RecoveryError(id, entry.seq, 'the stored event is not an event object')
    }
    if (entry.version === eventVersion) return event
    if (entry.version > eventVersion) throw new RecoveryError(id, entry.seq, `it has version ${entry.version}, newer than this logic's ${eventVersion}: run the newer logic`)
    if (!adapter) throw new RecoveryError(id, entry.seq, `it has version ${entry.version} and no adapter upgrades it to ${eventVersion}`)
    try {
      return adapter(event, entry.version)
    } catch (error) {
      throw new RecoveryError(id, entry.seq, `the adapter could not upgrade version ${entry.version}`, error)
    }
  }

  // ---- snapshot mode ------------------------------------------------------

  /**
   * Fenced on the snapshot before it (the one recovered, or this writer's
   * previous write: writes run in order and one failing fails the rest), so
   * a second writer on the id gets `SnapshotConflictError` instead of
   * overwriting newer state, and its branch recovers from the store.
   */
  #saveNext(snapshot: Snapshot<unknown>): Promise<void> {
    const seq = ++this.#seq
    const data = this.#persistReported(snapshot)
    return this.#chain(() => this.config.store.saveSnapshot(this.config.id, { seq, data, expectedSeq: seq - 1, version: this.config.migration.version }))
  }

  /**
   * With `compactEvery`: appends the change from the state written before to
   * `snapshot` (fenced on the journal, like an event), and every
   * `compactEvery` of them saves the whole state too, once its change
   * landed. A compaction that fails is taken again `compactEvery` later: the
   * changes are what makes a state durable, the snapshot a shortcut for
   * recovery; one lost to a crash leaves the snapshot before it, and the
   * changes since.
   */
  #saveChange(snapshot: Snapshot<unknown>): Promise<void> {
    const { store, id, durability, migration, compactEvery } = this.config
    const taken = (this.#changes as StateChanges).take(snapshot)
    const seq = ++this.#seq
    const payload = changeRecord(taken.persisted, taken.context, (snapshot as { context?: unknown }).context, seq)
    const records: NewEvent[] = [{ type: CHANGE_RECORD, payload: payload as unknown as NewEvent['payload'], version: migration.version, tags: this.#stamp }]
    const position = seq - this.#lag
    const done =
      durability === 'batched'
        ? this.#chain(() => groupAppend(store, { id, expectedSeq: position - 1, events: records }))
        : this.#chain(() => store.append(id, records, position - 1))
    if (seq - this.#compacted >= compactEvery) {
      this.#compacted = seq
      const data = this.#persistReported(snapshot)
      void done.then(() => store.saveSnapshot(id, { seq, data, version: migration.version })).catch(() => {})
    }
    return done
  }

  /** Batched snapshot mode: one write in flight; meanwhile only the newest state waits. */
  #coalesce(snapshot: Snapshot<unknown>): Promise<void> {
    if (this.#next) {
      this.#next.snapshot = snapshot
      return this.#next.done
    }
    let resolve!: () => void
    let reject!: (e: unknown) => void
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
    this.#next = { snapshot, done, resolve, reject }
    if (!this.#writing) void this.#writeNext()
    return done
  }

  async #writeNext(): Promise<void> {
    this.#writing = true
    while (this.#next) {
      const next = this.#next
      this.#next = undefined
      try {
        await this.#saveNext(next.snapshot)
        next.resolve()
      } catch (error) {
        next.reject(error)
      }
    }
    this.#writing = false
  }

  // ---- common -------------------------------------------------------------

  /**
   * Runs `write` after every write queued before it (at once when none is in
   * flight on this id); once one fails, every later one fails too. `events`:
   * a journal append's, numbered from `first`, told as persisted once it
   * lands. This is on every durable call's path: one promise a write besides
   * the store's, its settling handled by two functions made once (`#written`,
   * `#refused`) that take the oldest of `#writes`.
   */
  #chain(write: () => Promise<unknown>, events?: readonly EventObject[], first = 0): Promise<void> {
    const epoch = this.#epoch
    const before = this.#tails.get(this.config.id)
    let result: Promise<unknown>
    if (before === undefined) result = this.#start(write, epoch)
    else {
      const start = (): Promise<unknown> => this.#start(write, epoch)
      result = before.then(start, start)
    }
    const entry: Write = { epoch, events, first, done: undefined as unknown as Promise<void> }
    entry.done = result.then(this.#written, this.#refused)
    this.#writes.push(entry)
    this.#tails.set(this.config.id, entry.done)
    return entry.done
  }

  /** Starts a queued write, unless one before it failed or a recovery began since it was queued. */
  #start(write: () => Promise<unknown>, epoch: number): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure.error)
    if (epoch !== this.#epoch) return Promise.reject(new RecoveryError(this.config.id, undefined, 'the write was queued before a recovery'))
    try {
      return write()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** The oldest write landed: its events are durable (and part of the segment being checked). */
  readonly #written = (): void => {
    const entry = this.#settle()
    const events = entry.events
    if (!events) return
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as EventObject
      this.#segment?.events.push(event)
      this.#hooks.persisted({ seq: entry.first + i, event })
    }
  }

  /** The oldest write failed: so will every later one, until a recovery. */
  readonly #refused = (error: unknown): never => {
    if (this.#settle().epoch === this.#epoch) this.#failure ??= { error }
    throw error
  }

  /** Takes the oldest write off `#writes`, and off the chain if it is its end (a store used for many ids holds no entry per id). */
  #settle(): Write {
    const entry = this.#writes.shift() as Write
    if (this.#tails.get(this.config.id) === entry.done) this.#tails.delete(this.config.id)
    return entry
  }

  #persist(snapshot: Snapshot<unknown>): Snapshot<unknown> {
    return this.#logic.getPersistedSnapshot(snapshot) as Snapshot<unknown>
  }

  /** A state the worker reported, in persisted form (xstate's persisting walks children, which a persisted state holds as plain records). */
  #persistReported(snapshot: Snapshot<unknown>): Snapshot<unknown> {
    return this.#reportsPersisted ? snapshot : this.#persist(snapshot)
  }
}
