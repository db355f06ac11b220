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
