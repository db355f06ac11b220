import { describe, expect, it } from 'vitest'
import { isSecretKey, reasonShower, redactSecrets, relativePaths, scrubText } from '../../src/inspector/redaction'
import { stateView } from '../../src/inspector/stateView'

describe('default redaction', () => {
  it('knows the usual secret-bearing keys in any case and spelling, and leaves the others', () => {
    for (const key of ['password', 'Password', 'db_password', 'passwd', 'secret', 'clientSecret', 'token', 'accessToken', 'apiKey', 'api_key', 'API-KEY', 'authorization', 'Authorization', 'cookie', 'Set-Cookie', 'privateKey', 'private_key', 'credentials', 'sessionId', 'accessKey', 'pwd', 'auth']) {
      expect(isSecretKey(key), key).toBe(true)
    }
    for (const key of ['name', 'readings', 'author', 'owner', 'path', 'status', 'key', 'id']) expect(isSecretKey(key), key).toBe(false)
  })

  it('hides what follows a secret name in text, Bearer credentials and URL passwords, and nothing else', () => {
    expect(scrubText('password=hunter2 user=ada')).toBe('password=[redacted] user=ada')
    expect(scrubText('{"apiKey": "sk-1", "n": 2}')).toBe('{"apiKey": "[redacted]", "n": 2}')
    expect(scrubText("db_password: 'x1'")).toBe("db_password: '[redacted]'")
    expect(scrubText('X-Api-Key: abc')).toBe('X-Api-Key: [redacted]')
    expect(scrubText('sent Bearer abc.def-ghi')).toBe('sent Bearer [redacted]')
    expect(scrubText('postgres://app:hunter2@db:5432/x')).toBe('postgres://app:[redacted]@db:5432/x')
    expect(scrubText('at check (src/inspector/token.ts:12:3)')).toBe('at check (src/inspector/token.ts:12:3)')
    expect(scrubText('sensor returned NaN')).toBe('sensor returned NaN')
  })

  it('hides a secret key whatever its value holds, and scans a huge string only as far as it sends it', () => {
    expect(redactSecrets('token', { nested: 1 }, [], 'b')).toBe('[redacted]')
    expect(redactSecrets('', { token: 1 }, [], 'b')).toEqual({ token: 1 })
    const view = stateView({ headers: new Map([['Authorization', 'Bearer SECRET'], ['accept', 'json']]), pairs: [['apiKey', 'SECRET']] }, 'b', redactSecrets)
    expect(view.state).toEqual({ headers: { '[Map]': [['Authorization', '[redacted]'], ['accept', 'json']] }, pairs: [['apiKey', '[redacted]']] })
    const huge = `${'token'.repeat(200_000)}=1`
    const shown = redactSecrets('note', huge, [], 'b') as string
    expect(shown).toMatch(/… \(900002 more characters, too long to redact\)$/)
    expect(shown.length).toBeLessThan(100_100)
  })

  it('makes stack paths relative to the working directory', () => {
    const stack = [
      'Error: ENOENT /srv/app/data/x',
      '    at f (/srv/app/src/a.ts:1:2)',
      '    at file:///srv/app/lib/b.js:3:4',
      '    at async file:///srv/app/node_modules/r/c.js:9:1',
      '    at g (/opt/shared/node_modules/xstate/dist/x.js:5:6)',
      '    at h (/etc/other.js:7:8)',
      '    at async Promise.all (index 0)',
      '    at node:internal/process:1:2'
    ].join('\n')
    expect(relativePaths(stack, '/srv/app')).toBe(
      [
        'Error: ENOENT data/x',
        '    at f (src/a.ts:1:2)',
        '    at lib/b.js:3:4',
        '    at async node_modules/r/c.js:9:1',
        '    at g (node_modules/xstate/dist/x.js:5:6)',
        '    at h (../../etc/other.js:7:8)',
        '    at async Promise.all (index 0)',
        '    at node:internal/process:1:2'
      ].join('\n')
    )
  })

  it('shows a crash reason redacted, causes included, and only that the redact function threw when it does', () => {
    const error = new Error('token=abc failed', { cause: new Error('password: hunter2') })
    const shown = reasonShower(redactSecrets, process.cwd())(error, 'b')
    expect(shown.message).toBe('token=[redacted] failed')
    expect(shown.cause?.message).toBe('password: [redacted]')
    expect(JSON.stringify(shown)).not.toMatch(/hunter2|abc failed/)
    expect(JSON.stringify(shown)).not.toContain(process.cwd())
    const thrower = reasonShower(() => {
      throw new Error('no')
    }, process.cwd())
    expect(thrower(error, 'b')).toEqual({ name: 'Error', message: '[hidden: the redact function threw at the root: Error: no]' })
  })
})
