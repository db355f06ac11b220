/**
 * A flaky thermometer: its driver throws on garbage readings and gets
 * unplugged now and then. The branch restarts it each time, and the readings
 * it had already taken are still there.
 *
 * Run: npm run example
 */
import { assign, fromPromise, setup } from 'xstate'
import { call, cast, deferReply, reply, replyTo, startBranch, type Replies, type ReplyToken } from '../src/index'

type Reading = { type: 'reading'; celsius: number }
// A call's reply is declared on its event's type; `call` is typed by it.
type Event = Reading | ({ type: 'stats' } & Replies<{ count: number; mean: number }>) | ({ type: 'calibrate' } & Replies<string>)

const thermometer = setup({
  types: {
    context: {} as { readings: number[]; offset: number; pending: ReplyToken | null },
    events: {} as Event
  },
  actors: {
    // Stands in for a slow vendor SDK call.
    calibrate: fromPromise(async () => -0.5)
  }
}).createMachine({
  context: { readings: [], offset: 0, pending: null },
  initial: 'measuring',
  states: {
    measuring: {
      on: {
        reading: {
          actions: assign({
            readings: ({ context, event }) => {
              if (!Number.isFinite(event.celsius)) throw new Error(`sensor returned ${event.celsius}`)
              return [...context.readings, event.celsius + context.offset]
            }
          })
        },
        stats: {
          actions: reply(({ context }) => ({
            count: context.readings.length,
            mean: context.readings.reduce((a, b) => a + b, 0) / (context.readings.length || 1)
          }))
        },
        // The answer comes later, once the SDK is done (GenServer's noreply).
        calibrate: { target: 'calibrating', actions: assign({ pending: () => deferReply() }) }
      }
    },
    calibrating: {
      invoke: {
        src: 'calibrate',
        onDone: {
          target: 'measuring',
          actions: [
            ({ context, event }) => replyTo(context.pending, `offset set to ${event.output}`),
            assign({ offset: ({ event }) => event.output, pending: null })
          ]
        }
      }
    }
  }
})

const branch = await startBranch({
  logic: thermometer,
  name: 'thermometer',
  listener: {
    onTerminate: (reason, state) => console.log(`stopped (${reason.kind}) with ${state.readings.length} readings kept`)
  }
})
branch.on('crash', ({ error, incarnation }) => console.log(`worker #${incarnation} crashed: ${(error as Error).message}`))
branch.on('restart', ({ incarnation }) => console.log(`worker #${incarnation} started from the kept state`))

for (const celsius of [21.5, 22, 22.5]) cast('thermometer', { type: 'reading', celsius })
console.log('stats:', await call(branch, { type: 'stats' }))

// A garbage reading crashes the driver; the call that carried it is told so.
await call(branch, { type: 'reading', celsius: Number.NaN }).catch((error: Error) =>
  console.log(`the bad reading was rejected: ${error.name}`)
)
console.log('stats after the crash:', await call(branch, { type: 'stats' }))

// The device is unplugged: the worker dies mid-life, as a crash would.
branch.kill(new Error('device unplugged'))
cast('thermometer', { type: 'reading', celsius: 23 })
console.log('stats after the unplug:', await call('thermometer', { type: 'stats' }))

console.log('calibrate:', await call(branch, { type: 'calibrate' }))
cast(branch, { type: 'reading', celsius: 24 })
console.log('stats after calibrating:', await call(branch, { type: 'stats' }))

await branch.stop()
