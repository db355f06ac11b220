import { describe, expect, it } from 'vitest'
import {
  CorruptRecordError,
  InvalidRecordError,
  JournalConflictError,
  MissingDriverError,
  SnapshotConflictError,
  StoreClosedError,
  StoreUnavailableError
} from '../../src/stores/errors'

// Each store error's message says what went wrong, with the values that tell
// which record or call it was, and what to do next; its fields carry the same
// values for code that branches on them.
describe('the store errors', () => {
  it('JournalConflictError names the journal, both sequence numbers, and how to recover', () => {
    const error = new JournalConflictError('cart-1', 3, 5)
    expect(error).toMatchObject({ name: 'JournalConflictError', code: 'JOURNAL_CONFLICT', id: 'cart-1', expected: 3, actual: 5 })
    expect(error.message).toBe(
      'The journal of "cart-1" ends at sequence 5, but the append expected 3: another writer got there first. ' +
        'Nothing was written. Re-read the journal (lastSeq) and decide whether to append again; two live keepers ' +
        'for one id is a bug.'
    )
  })

  it('SnapshotConflictError tells "no snapshot" from a snapshot at a sequence, on either side', () => {
    const none = new SnapshotConflictError('a', null, 4)
    expect(none).toMatchObject({ code: 'SNAPSHOT_CONFLICT', id: 'a', expected: null, actual: 4 })
    expect(none.message).toBe(
      'The store keeps the snapshot at sequence 4 for "a", but the write expected no snapshot: another writer got ' +
        'there first. Nothing was written. Read the snapshot again (loadSnapshot) before writing; two live keepers ' +
        'for one id is a bug.'
    )
    const gone = new SnapshotConflictError('a', 2, null)
    expect(gone.message).toContain('keeps no snapshot for "a", but the write expected the snapshot at sequence 2:')
  })

  it('CorruptRecordError names the record, keeps the decoding error as cause, and says the record was left alone', () => {
    const cause = new SyntaxError('Unexpected end of JSON input')
    const error = new CorruptRecordError('a', 2, 'event', cause)
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', id: 'a', seq: 2, record: 'event' })
    expect(error.cause).toBe(cause)
    expect(error.message).toBe(
      'The stored event of "a" at sequence 2 is corrupt (SyntaxError: Unexpected end of JSON input). It was left ' +
        "untouched; restore it from a backup, or delete the branch's data to start it afresh."
    )
  })

  it('StoreUnavailableError names the store, the operation and the driver error, and says to retry', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432')
    const error = new StoreUnavailableError('PostgresStore', 'append', cause)
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'PostgresStore', operation: 'append' })
    expect(error.cause).toBe(cause)
    expect(error.message).toBe(
      'PostgresStore failed during append (Error: connect ECONNREFUSED 127.0.0.1:5432). Check that the database ' +
        'is running and reachable, then retry; acknowledged writes are kept.'
    )
  })

  it('StoreClosedError names the store and the call that came too late', () => {
    const error = new StoreClosedError('SqliteStore', 'read')
    expect(error).toMatchObject({ code: 'STORE_CLOSED', store: 'SqliteStore' })
    expect(error.message).toBe('SqliteStore is closed; read can\'t run. Open a new store (or close it only after its last use).')
  })

  describe('MissingDriverError', () => {
    it('for one package of a store: names it, the command to install it, and another store as the way out', () => {
      const cause = new Error("Cannot find package 'pg'")
      const error = new MissingDriverError('PostgresStore', 'pg', cause)
      expect(error).toMatchObject({ code: 'MISSING_DRIVER', store: 'PostgresStore', packageName: 'pg', packageNames: ['pg'] })
      expect(error.cause).toBe(cause)
      expect(error.message).toBe(
        'PostgresStore needs the package "pg", which could not be loaded (Error: Cannot find package \'pg\'). ' +
          'Install it beside keepsake (npm install pg), built for this Node version, or use another store.'
      )
    })

    it('for several packages of a subpath: names every one, one command for all, and no other store', () => {
      const error = new MissingDriverError('keepsake/cluster', ['@nats-io/kv', '@nats-io/jetstream'], new AggregateError([], 'both'))
      expect(error).toMatchObject({ packageName: '@nats-io/kv', packageNames: ['@nats-io/kv', '@nats-io/jetstream'] })
      expect(error.message).toBe(
        'keepsake/cluster needs the packages "@nats-io/kv", "@nats-io/jetstream", which could not be loaded ' +
          '(AggregateError: both). Install them beside keepsake (npm install @nats-io/kv @nats-io/jetstream), ' +
          'built for this Node version.'
      )
    })

    it('keeps its own copy of the names it was given', () => {
      const names = ['a', 'b']
      const error = new MissingDriverError('keepsake/x', names, undefined)
      names.push('c')
      expect(error.packageNames).toEqual(['a', 'b'])
    })
  })

  describe('InvalidRecordError', () => {
    it('names where, what was expected and what came, and how to convert it; no cause when nothing was thrown', () => {
      const error = new InvalidRecordError('events[0].payload.when', 'a plain object', new Date(0))
      expect(error).toMatchObject({ code: 'INVALID_RECORD', path: 'events[0].payload.when' })
      expect('cause' in error).toBe(false)
      expect(error.message).toBe(
        "Can't store events[0].payload.when: expected a plain object, got a Date. Nothing was written. " +
          'Convert it first (for example a Date to its ISO string, a Map to an object).'
      )
    })

    it('with a cause (what reading the value threw), names it and keeps it', () => {
      const boom = new TypeError('getter failed')
      const error = new InvalidRecordError('payload', 'a readable value', 1, boom)
      expect(error.cause).toBe(boom)
      expect(error.message).toContain('got number 1 (TypeError: getter failed). Nothing was written.')
    })

    it.each([
      ['an instance, by its class', new Map(), 'a Map'],
      ['a plain object', { a: 1 }, 'an object'],
      ['an object without a prototype', Object.create(null) as object, 'an object'],
      ['an array, by its length', [1, 2], 'an array of length 2'],
      ['a number that is not finite', Number.NaN, 'number NaN'],
      ['a proxy whose traps throw', new Proxy({}, { getPrototypeOf: () => { throw new Error('trap') } }), 'an object']
    ])('describes what came: %s', (_, got, described) => {
      expect(new InvalidRecordError('x', 'y', got).message).toContain(`expected y, got ${described}.`)
    })
  })
})
