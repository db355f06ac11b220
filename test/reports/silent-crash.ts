// Crashes a worker and makes its branch give up (its supervisor restarts it),
// with no logger installed: keepsake must print nothing (the test reads stdout and stderr).
import { fromTransition } from 'xstate'
import { branchSpec, startSupervisor } from '../../src/index'

const fragile = fromTransition((n: number, e: { type: 'boom' }) => {
  if (e.type === 'boom') throw new Error('boom')
  return n
}, 0)
const root = await startSupervisor({
  id: 'silent',
  maxRestarts: 1,
  children: [branchSpec({ id: 'w', branch: { logic: fragile, intensity: { maxRestarts: 0 } } })]
})
root.on('stop', () => undefined)
const w = root.whichChildren()[0]?.child as unknown as { kill(): void }
w.kill()
await root.whenIdle()
await root.stop()
