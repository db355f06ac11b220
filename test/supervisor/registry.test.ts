import { describe, expect, it } from 'vitest'
import { NameTakenError } from '../../src/index'
import { NameRegistry } from '../../src/supervisor/registry'

// A name belongs to one live owner at a time, and only that owner gives it up:
// a branch that stopped late must not free the name its successor now holds.

describe('NameRegistry', () => {
  it('gives a name to one owner and refuses a second, naming it', () => {
    const names = new NameRegistry<string>()
    names.register('db', 'first')
    expect(names.lookup('db')).toBe('first')
    let error: unknown
    try {
      names.register('db', 'second')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(NameTakenError)
    expect((error as NameTakenError).branchName).toBe('db')
    expect(names.lookup('db')).toBe('first')
  })

  it('frees a name only for its owner', () => {
    const names = new NameRegistry<string>()
    names.register('db', 'first')
    names.unregister('db', 'second')
    expect(names.lookup('db')).toBe('first')
    names.unregister('db', 'first')
    expect(names.lookup('db')).toBeUndefined()
    names.register('db', 'second')
    names.unregister('db', 'first')
    expect(names.lookup('db')).toBe('second')
  })
})
