import { describe, expect, it } from 'vitest'
import { DEFAULT_STATE_LIMITS, RedactionFailed, stateView } from '../../src/inspector/stateView'

const size = (value: unknown) => JSON.stringify(value).length

describe('stateView: hostile states', () => {
  it('marks cycles, and shows a value reached twice (not a cycle) both times', () => {
    const a: Record<string, unknown> = { name: 'a' }
    a.self = a
    const shared = { n: 1 }
    const list: unknown[] = [shared, shared]
    list.push(list)
    expect(stateView({ a, list }, 'b', undefined).state).toEqual({
      a: { name: 'a', self: '[Circular]' },
      list: [{ n: 1 }, { n: 1 }, '[Circular]']
    })
  })

  it('cuts a huge string, a huge array, a wide object and a huge Map to the byte budget', () => {
    const wide: Record<string, number> = {}
    for (let i = 0; i < 100_000; i++) wide[`k${i}`] = i
    const state = {
      text: 'x'.repeat(10_000_000),
      list: Array.from({ length: 1_000_000 }, (_, i) => i),
      wide,
      map: new Map(Array.from({ length: 100_000 }, (_, i) => [i, { i }]))
    }
    const view = stateView(state, 'b', undefined)
    expect(view.truncated).toBe(true)
    expect(size(view.state)).toBeLessThan(DEFAULT_STATE_LIMITS.maxBytes + 8192)
    const shown = view.state as { text: string; list: unknown[] }
    expect(shown.text).toMatch(/^x{2000}… \(9998000 more characters\)$/)
    expect(shown.list.at(-1)).toBe('… 999800 more')
  })

  it('survives nesting far deeper than the stack', () => {
    let deep: Record<string, unknown> = {}
    const top = deep
    for (let i = 0; i < 200_000; i++) {
      const next = {}
      deep.down = next
      deep = next
    }
    const view = stateView(top, 'b', undefined)
    expect(view.truncated).toBe(true)
    expect(JSON.stringify(view.state)).toContain('[nested too deep]')
  })

  it('shows what cannot be read as unreadable, and carries on', () => {
    const getter = Object.defineProperty({ ok: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter threw')
      }
    })
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys threw')
        }
      }
    )
    expect(stateView({ getter, proxy, after: true }, 'b', undefined).state).toEqual({ getter: { ok: 1, boom: '[unreadable]' }, proxy: '[unreadable]', after: true })
  })

  it('turns what JSON cannot hold into readable text', () => {
    const state = {
      big: 12345678901234567890n,
      nan: Number.NaN,
      inf: -Infinity,
      when: new Date(0),
      bad: new Date(Number.NaN),
      fn: function named() {},
      sym: Symbol('s'),
      set: new Set([1, 2]),
      bytes: new Uint8Array(1024),
      error: new TypeError('no'),
      gone: undefined,
      holes: [undefined, 1]
    }
    const shown = stateView(state, 'b', undefined).state as Record<string, unknown>
    expect(shown).toMatchObject({
      big: '12345678901234567890n',
      nan: 'NaN',
      inf: '-Infinity',
      when: '1970-01-01T00:00:00.000Z',
      bad: '[Invalid Date]',
      fn: '[Function named]',
      sym: '[Symbol(s)]',
      set: { '[Set]': [1, 2] },
      bytes: '[Uint8Array of 1024 bytes]',
      error: { name: 'TypeError', message: 'no' },
      holes: [null, 1]
    })
    expect('gone' in shown).toBe(false)
  })
})

describe('stateView: redaction', () => {
  it('hides fields at any depth, inside arrays and Maps too, and walks what redact returns', () => {
    const seen: string[] = []
    const state = { user: { password: 'p1', name: 'ada' }, list: [{ password: 'p2' }], map: new Map([['k', { password: 'p3' }]]), card: '4111111111111111' }
    const view = stateView(state, 'branch-7', (key, value, path, branchId) => {
      seen.push(`${branchId}:${path.join('.')}`)
      if (key === 'password') return '[redacted]'
      if (key === 'card') return { last4: String(value).slice(-4) }
      return value
    })
    expect(view.state).toEqual({
      user: { password: '[redacted]', name: 'ada' },
      list: [{ password: '[redacted]' }],
      map: { '[Map]': [['k', { password: '[redacted]' }]] },
      card: { last4: '1111' }
    })
    expect(JSON.stringify(view.state)).not.toMatch(/p1|p2|p3|41111111/)
    expect(seen[0]).toBe('branch-7:')
    expect(seen).toContain('branch-7:user.password')
  })

  it('a redact function that throws, anywhere, lets nothing through', () => {
    const state = { deep: { er: { secret: 's' } }, cyclic: {} as Record<string, unknown> }
    state.cyclic.self = state.cyclic
    expect(() =>
      stateView(state, 'b', (key, value) => {
        if (key === 'secret') throw new Error('nope')
        return value
      })
    ).toThrow(RedactionFailed)
    expect(() =>
      stateView(state, 'b', (key, value) => {
        if (key === 'self') throw new Error('nope')
        return value
      })
    ).toThrow(/the redact function threw at cyclic.self: Error: nope/)
  })
})
