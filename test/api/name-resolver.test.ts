import { afterEach, describe, expect, it } from 'vitest'
import type { EventObject } from 'xstate'
import { _setNameResolver, type NameRoute } from '../../src/api/messaging'
import { call, callAll, cast, send, startBranch, UnknownNameError, type AnyBranch } from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

// The hook keepsake/cluster installs so that names held by other nodes are reached (the cluster
// suites run it over NATS; here, the routing rules themselves).

const started = stoppedAfterEach<AnyBranch>()
afterEach(() => void _setNameResolver(undefined))

/** A route that records what reaches it, answering each method as a branch would. */
function recordingRoute() {
  const seen: [string, unknown][] = []
  const route: NameRoute = {
    call: async (event) => (seen.push(['call', event]), 'remote reply'),
    callAll: async (events) => (seen.push(['callAll', events]), 'remote batch'),
    cast: (event) => void seen.push(['cast', event]),
    send: (message: EventObject) => (seen.push(['send', message]), message)
  }
  return { seen, route }
}

describe('names that no local branch holds go to the installed resolver', () => {
  it('call, callAll, cast and send reach the route for a name this process lacks', async () => {
    const { seen, route } = recordingRoute()
    const asked: string[] = []
    _setNameResolver((name) => (asked.push(name), name === 'elsewhere' ? route : undefined))
    expect(await call('elsewhere', { type: 'get' })).toBe('remote reply')
    expect(await callAll('elsewhere', [{ type: 'inc' }])).toBe('remote batch')
    cast('elsewhere', { type: 'inc' })
    const message = { type: 'inc' }
    expect(send('elsewhere', message)).toBe(message)
    expect(seen).toEqual([
      ['call', { type: 'get' }],
      ['callAll', [{ type: 'inc' }]],
      ['cast', { type: 'inc' }],
      ['send', message]
    ])
    expect(asked).toEqual(['elsewhere', 'elsewhere', 'elsewhere', 'elsewhere'])
    // A name neither here nor there is still UnknownNameError, a rejection for call and a throw for cast.
    await expect(call('nowhere', { type: 'get' })).rejects.toBeInstanceOf(UnknownNameError)
    expect(() => cast('nowhere', { type: 'get' })).toThrow(UnknownNameError)
  })

  it('a local branch wins over the resolver, which is not asked', async () => {
    const local = await startBranch({ logic: counterReducer, name: 'here' })
    started.push(local)
    const asked: string[] = []
    _setNameResolver((name) => (asked.push(name), recordingRoute().route))
    expect(await call('here', { type: 'inc' })).toBe(1)
    expect(asked).toEqual([])
  })

  it('installing returns the resolver it replaced, so an owner can put it back', () => {
    const first = () => undefined
    const second = () => undefined
    expect(_setNameResolver(first)).toBeUndefined()
    expect(_setNameResolver(second)).toBe(first)
    expect(_setNameResolver(undefined)).toBe(second)
  })
})
