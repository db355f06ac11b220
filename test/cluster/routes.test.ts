import { describe, expect, it } from 'vitest'
import type { EventObject } from 'xstate'
import { CallTimeoutError, UnknownNameError } from '../../src/index'
import { NodeUnavailableError } from '../../src/cluster'
import type { Owner } from '../../src/cluster/leases'
import { Route, type Outcome, type Owners, type Transport } from '../../src/cluster/routes'
import type { Request } from '../../src/cluster/wire'

/** A node's answers, given by the test: each request waits until the test settles it. */
interface Sent {
  readonly node: string
  readonly body: Request
  answer(outcome: Outcome): void
}

function harness(owner: Owner | undefined) {
  const sent: Sent[] = []
  const dropped: string[] = []
  let current = owner
  const owners: Owners = { owner: () => current, refresh: async () => current }
  const transport: Transport = {
    assertConnected: () => undefined,
    assertSendable: () => undefined,
    request: (node, body) => new Promise((resolve) => sent.push({ node, body, answer: resolve })),
    dropped: (_name, event, error) => void dropped.push(`${event.type}: ${error.name}`)
  }
  const route = new Route('box', owners, transport, () => undefined)
  return { route, sent, dropped, moveTo: (next: Owner | undefined) => (current = next) }
}

const at = (node: string, tenure = `${node}-1`): Owner => ({ node, inc: 'i', tenure, revision: 1 })
const tick = () => new Promise((r) => setTimeout(r, 0))
const ids = (sent: readonly Sent[]) => sent.map((s) => `${s.node}:${((s.body as { e?: EventObject }).e as { id?: string } | undefined)?.id}`)

describe('Route', () => {
  it('resends what bounced, in order, before anything newer, to the owner the bucket names', async () => {
    const { route, sent, moveTo } = harness(at('x'))
    for (const id of ['1', '2', '3', '4']) route.cast({ type: 'add', id } as EventObject)
    expect(ids(sent)).toEqual(['x:1', 'x:2', 'x:3', 'x:4'])
    sent[0]!.answer({ reply: { k: 'ok' } })
    moveTo(at('y'))
    sent[1]!.answer({ reply: { k: 'moved' } })
    await tick()
    route.cast({ type: 'add', id: '5' } as EventObject) // after the bounce, while 3 and 4 are still out: it waits
    sent[2]!.answer({ reply: { k: 'moved' } })
    await tick()
    expect(ids(sent).slice(4)).toEqual([])
    sent[3]!.answer({ reply: { k: 'moved' } })
    await tick()
    await tick()
    expect(ids(sent).slice(4)).toEqual(['y:2', 'y:3', 'y:4', 'y:5'])
    expect(sent.slice(4).every((s) => (s.body as { o: string }).o === 'y-1')).toBe(true)
  })

  it('a call comes back with the reply, or its error as sent', async () => {
    const { route, sent } = harness(at('x'))
    const reply = route.call({ type: 'get' })
    sent[0]!.answer({ reply: { k: 'ok', value: 42 } })
    expect(await reply).toBe(42)
    const failed = route.call({ type: 'get' })
    sent[1]!.answer({ reply: { k: 'err', error: { name: 'CallTimeoutError', message: 'late', fields: { branchId: 'box', timeout: 5 } } } })
    await expect(failed).rejects.toBeInstanceOf(CallTimeoutError)
  })

  it('an owner that is gone: retried until the deadline, then NodeUnavailableError; a cast is reported, not dropped silently', async () => {
    const { route, sent, dropped } = harness(at('x'))
    const call = route.call({ type: 'get' }, { timeout: 400 })
    for (let i = 0; i < 3; i++) {
      while (sent.length <= i) await new Promise((r) => setTimeout(r, 10))
      sent[i]!.answer({ unreachable: true })
    }
    await expect(call).rejects.toBeInstanceOf(NodeUnavailableError)
    const { route: other, sent: sentOther, dropped: droppedOther, moveTo } = harness(at('x'))
    other.cast({ type: 'inc' })
    moveTo(undefined)
    sentOther[0]!.answer({ unreachable: true })
    while (droppedOther.length === 0) await new Promise((r) => setTimeout(r, 10))
    expect(droppedOther).toEqual(['inc: UnknownNameError'])
    expect(dropped).toEqual([])
  })

  it('a name no node holds: UnknownNameError at once', async () => {
    const { route } = harness(undefined)
    await expect(route.call({ type: 'get' })).rejects.toBeInstanceOf(UnknownNameError)
  })
})
