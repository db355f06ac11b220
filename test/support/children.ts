import { EventEmitter } from 'eventemitter3'
import { assign, setup } from 'xstate'
import { startBranch, type AnyBranch, type ChildSpec, type StopReason, type Supervised, type Supervisor } from '../../src/index'

/** A counter that exits normally on `finish` (a final state). */
export const finishable = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'finish' } | { type: 'get' } }
}).createMachine({
  context: { count: 0 },
  initial: 'on',
  states: {
    on: { on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) }, finish: 'done' } },
    done: { type: 'final' }
  }
})

/**
 * A branch child that logs its starts and stops. Its branch gives up at its
 * first crash (maxRestarts 0), so `kill()` makes it exit with a failure.
 */
export function recorded(id: string, log: string[], spec: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id,
    ...spec,
    start: async () => {
      log.push(`start ${id}`)
      const branch = await startBranch({ logic: finishable, intensity: { maxRestarts: 0 } })
      branch.on('stop', () => log.push(`stop ${id}`))
      return branch
    }
  }
}

/** The live branch of child `id`. */
export function childOf(supervisor: Supervisor, id: string): AnyBranch {
  const child = supervisor.whichChildren().find((c) => c.id === id)?.child
  if (!child) throw new Error(`child ${id} is not running`)
  return child as AnyBranch
}

/** The three ways a child exits on its own. */
export const exits = {
  normal: (b: AnyBranch) => b.cast({ type: 'finish' }),
  shutdown: (b: AnyBranch) => void b.stop(),
  failure: (b: AnyBranch) => b.kill(new Error('device fault'))
} as const

/**
 * A hand-made supervised child (a device, a stubborn process): its `stop`
 * is the test's; `exit(reason)` ends it, telling its supervisor.
 */
export abstract class HandMadeChild implements Supervised {
  status = 'running'
  readonly #events = new EventEmitter<{ stop: (reason: StopReason) => void }>()
  abstract readonly id: string
  abstract stop(options?: { timeout?: number }): Promise<void>

  /** Stopped, with `reason` told to the listeners (its supervisor). */
  protected exit(reason: StopReason): void {
    this.status = 'stopped'
    this.#events.emit('stop', reason)
  }

  on(event: 'stop', handler: (reason: StopReason) => void): this {
    this.#events.on(event, handler)
    return this
  }

  off(event: 'stop', handler: (reason: StopReason) => void): this {
    this.#events.off(event, handler)
    return this
  }
}
