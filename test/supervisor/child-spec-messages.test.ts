import { describe, expect, it } from 'vitest'
import { InvalidOptionError, UnknownOptionError } from '../../src/index'
import { readChildSpec } from '../../src/supervisor/childSpec'

// A refused child spec says which spec it was: an unknown option names the
// child by its id and lists the options a child spec has, and a spec that is
// not an object is blamed on the child spec itself.

const start = () => {
  throw new Error('never started here')
}

function thrown(spec: unknown): unknown {
  try {
    readChildSpec(spec, undefined)
  } catch (error) {
    return error
  }
  throw new Error('expected the spec to be refused')
}

describe('a refused child spec, in its message', () => {
  it('an unknown option names the child, suggests the option it meant, and lists every option of a child spec', () => {
    const error = thrown({ id: 'device', start, restarts: 'transient' }) as UnknownOptionError
    expect(error).toBeInstanceOf(UnknownOptionError)
    expect(error.option).toBe('restarts')
    expect(error.suggestion).toBe('restart')
    expect(error.message).toContain('Unknown option "restarts" in child spec "device"')
    expect(error.message).toContain('Valid options: id, start, restart, shutdown, type, significant, backoff.')
  })

  it.each([null, 'device', ['device']])('a spec that is not an object (%j) is blamed on the child spec', (spec) => {
    const error = thrown(spec) as InvalidOptionError
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.option).toBe('child spec')
  })

  it.each(['0.5', null])('a jitter that only compares like a number (%j) is refused', (jitter) => {
    const error = thrown({ id: 'x', start, backoff: { jitter } }) as InvalidOptionError
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.option).toBe('x.backoff.jitter')
  })
})
