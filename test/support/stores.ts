import { MemoryStore, StoreUnavailableError, type KeeperStore } from '../../src/index'

/**
 * A MemoryStore that can be taken down: while `down`, every write and read
 * rejects with StoreUnavailableError, as a store that lost its server does.
 * `hold()` holds every write until released, to see what waits for one.
 */
export class FlakyStore extends MemoryStore {
  down = false
  appends = 0
  batches = 0
  #gate: Promise<void> | undefined

  /** Holds writes until the returned function is called. */
  hold(): () => void {
    let release!: () => void
    this.#gate = new Promise((resolve) => (release = resolve))
    return () => {
      this.#gate = undefined
      release()
    }
  }

  #check(operation: string): void {
    if (this.down) throw new StoreUnavailableError('FlakyStore', operation, new Error('connection refused'))
  }

  override async append(...args: Parameters<KeeperStore['append']>): Promise<number> {
    await this.#gate
    this.#check('append')
    this.appends++
    return super.append(...args)
  }

  override async appendBatch(...args: Parameters<KeeperStore['appendBatch']>): Promise<number[]> {
    await this.#gate
    this.#check('appendBatch')
    this.batches++
    return super.appendBatch(...args)
  }

  override async saveSnapshot(...args: Parameters<KeeperStore['saveSnapshot']>): Promise<boolean> {
    await this.#gate
    this.#check('saveSnapshot')
    return super.saveSnapshot(...args)
  }

  override async loadSnapshot(...args: Parameters<KeeperStore['loadSnapshot']>): ReturnType<KeeperStore['loadSnapshot']> {
    this.#check('loadSnapshot')
    return super.loadSnapshot(...args)
  }

  override async read(...args: Parameters<KeeperStore['read']>): ReturnType<KeeperStore['read']> {
    this.#check('read')
    return super.read(...args)
  }
}

/**
 * A real store (MemoryStore, SqliteStore...) whose writes can be held: while
 * held, append, appendBatch and saveSnapshot wait at a gate before they reach
 * it, so a test sees what waits for a write and what does not. With `lag`,
 * each write also waits a turn of the event loop first, as a networked
 * store's would, so that a caller told too early hears before it lands.
 */
export class HeldStore implements KeeperStore {
  readonly inner: KeeperStore
  readonly #lag: boolean
  /** Writes the real store has finished. */
  landed = 0
  /** Writes waiting at the gate. */
  waiting = 0
  #gate: Promise<void> | undefined

  constructor(inner: KeeperStore, options: { lag?: boolean } = {}) {
    this.inner = inner
    this.#lag = options.lag ?? false
  }

  /** Holds writes until the returned function is called. */
  hold(): () => void {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    this.#gate = gate
    return () => {
      if (this.#gate === gate) this.#gate = undefined
      release()
    }
  }

  async #write<T>(write: () => Promise<T>): Promise<T> {
    if (this.#lag) await new Promise<void>((resolve) => setImmediate(resolve))
    this.waiting++
    while (this.#gate) await this.#gate
    this.waiting--
    const result = await write()
    this.landed++
    return result
  }

  append(...args: Parameters<KeeperStore['append']>): Promise<number> {
    return this.#write(() => this.inner.append(...args))
  }

  appendBatch(...args: Parameters<KeeperStore['appendBatch']>): Promise<number[]> {
    return this.#write(() => this.inner.appendBatch(...args))
  }

  saveSnapshot(...args: Parameters<KeeperStore['saveSnapshot']>): Promise<boolean> {
    return this.#write(() => this.inner.saveSnapshot(...args))
  }

  read(...args: Parameters<KeeperStore['read']>): ReturnType<KeeperStore['read']> {
    return this.inner.read(...args)
  }

  lastSeq(id: string): Promise<number> {
    return this.inner.lastSeq(id)
  }

  loadSnapshot(id: string): ReturnType<KeeperStore['loadSnapshot']> {
    return this.inner.loadSnapshot(id)
  }

  queryByTag(...args: Parameters<KeeperStore['queryByTag']>): ReturnType<KeeperStore['queryByTag']> {
    return this.inner.queryByTag(...args)
  }

  delete(id: string): Promise<boolean> {
    return this.#write(() => this.inner.delete(id))
  }

  listIds(): Promise<string[]> {
    return this.inner.listIds()
  }

  listSnapshots(...args: Parameters<KeeperStore['listSnapshots']>): ReturnType<KeeperStore['listSnapshots']> {
    return this.inner.listSnapshots(...args)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/** A MemoryStore whose snapshot writes can wait at a gate each, released one at a time, and fail while `down`. */
export class GatedStore extends MemoryStore {
  gating = false
  down = false
  loads = 0
  readonly #gates: (() => void)[] = []

  /** Writes waiting at their gate. */
  get waiting(): number {
    return this.#gates.length
  }

  /** Lets the oldest waiting write go on. */
  releaseOne(): void {
    this.#gates.shift()?.()
  }

  override async saveSnapshot(...args: Parameters<KeeperStore['saveSnapshot']>): Promise<boolean> {
    if (this.gating) await new Promise<void>((resolve) => this.#gates.push(resolve))
    if (this.down) throw new StoreUnavailableError('GatedStore', 'saveSnapshot', new Error('connection refused'))
    return super.saveSnapshot(...args)
  }

  /** While set, reads wait for it. */
  readGate: Promise<void> | undefined

  override async loadSnapshot(id: string): ReturnType<KeeperStore['loadSnapshot']> {
    this.loads++
    await this.readGate
    if (this.down) throw new StoreUnavailableError('GatedStore', 'loadSnapshot', new Error('connection refused'))
    return super.loadSnapshot(id)
  }
}
