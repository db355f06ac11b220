import { isAbsolute, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describeReason, type ReasonRecord } from '../reports/reason'
import { RedactionFailed, stateView, type Redactor } from './stateView'

/** What a hidden value is shown as. */
export const REDACTED = '[redacted]'

/** Key names (lower case, `-` and `_` left out) that usually hold a secret. */
const SECRET_KEY = /password|passwd|passphrase|secret|token|apikey|authorization|cookie|privatekey|credential|sessionid|accesskey|^pwd$|^auth$/

/**
 * The same names inside text, as in `password=...`, `"apiKey": "..."` or
 * `X-Api-Key: ...` (the part before the name stays). Every repetition is
 * bounded, so a long string costs a linear scan, never a backtracking storm.
 */
const SECRET_NAME = String.raw`(?:password|passwd|passphrase|secret|token|api[-_]?key|authorization|cookie|private[-_]?key|credentials?|session[-_]?id|access[-_]?key)[\w-]{0,40}`
const ASSIGNED = new RegExp(String.raw`(${SECRET_NAME}["']?[ \t]{0,8}[:=][ \t]{0,8}["']?)[^\s"',;&)}\]]{1,512}`, 'gi')
const SCHEME_CREDENTIALS = /\b(Bearer|Basic)[ \t]{1,8}[\w.~+/=-]{1,1024}/g
const URL_PASSWORD = /(\/\/[^\s:/@]{1,256}:)[^\s@/]{1,256}@/g

/** Characters of a string the default redaction scans (a linear scan, about 15 ms at worst). */
const MAX_SCANNED = 100_000

/** True for a key such as `password`, `clientSecret`, `api_key`, `Authorization` or `sessionId`. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_\s]/g, ''))
}

/** Hides what follows a secret's name in text (`token=...`, `"password": "..."`), `Bearer ...` credentials and passwords in URLs. */
export function scrubText(text: string): string {
  return text.replace(SCHEME_CREDENTIALS, `$1 ${REDACTED}`).replace(ASSIGNED, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`)
}

/**
 * The inspector's default {@link Redactor}: hides the value of every key that
 * usually holds a secret (password, secret, token, apiKey, authorization,
 * cookie, privateKey, credentials, sessionId, accessKey, in any case and with
 * `-` or `_`; a Map's entry or a `[name, value]` pair too), and in every string what follows such a name (`token=...`),
 * `Bearer ...` credentials and passwords in URLs. Call it from your own
 * `redact` to keep it and hide more.
 *
 * @example
 * redact: (key, value, path, id) => (key === 'ssn' ? '[redacted]' : redactSecrets(key, value, path, id))
 */
export const redactSecrets: Redactor = (key, value) => {
  if (key !== '' && isSecretKey(key)) return REDACTED
  // A Map's entry (or a list of header pairs): [name, value].
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && isSecretKey(value[0])) return [value[0], REDACTED]
  if (typeof value !== 'string') return value
  // Far beyond what a view shows: what is not scanned is not sent either.
  if (value.length <= MAX_SCANNED) return scrubText(value)
  return `${scrubText(value.slice(0, MAX_SCANNED))}… (${value.length - MAX_SCANNED} more characters, too long to redact)`
}

/** `at fn (LOCATION:line:col)` or `at LOCATION:line:col`: the location of a stack frame. */
const FRAME = /^(\s+at (?:async )?(?:.*\()?)(.+?)(:\d+(?::\d+)?\)?)$/

/**
 * A stack (or message) with its paths made relative to `cwd`: frames in a
 * package as `node_modules/...`, other absolute paths relative (`../...`), and
 * `cwd` itself left out of the message lines. Where the code runs stays private.
 */
export function relativePaths(text: string, cwd: string): string {
  const prefixes = [cwd.endsWith(sep) ? cwd : cwd + sep, `${pathToFileURL(cwd).href}/`]
  return text
    .split('\n')
    .map((line) => {
      const frame = FRAME.exec(line)
      if (!frame) return prefixes.reduce((out, prefix) => out.split(prefix).join(''), line)
      const [, head, location, tail] = frame as unknown as [string, string, string, string]
      return `${head}${shortPath(location, cwd)}${tail}`
    })
    .join('\n')
}

function shortPath(location: string, cwd: string): string {
  let path = location
  if (path.startsWith('file://')) {
    try {
      path = fileURLToPath(path)
    } catch {
      return location
    }
  }
  if (!isAbsolute(path)) return location
  const inPackage = path.lastIndexOf(`${sep}node_modules${sep}`)
  const inside = relative(cwd, path)
  if (inPackage >= 0 && inside.startsWith('..')) return path.slice(inPackage + 1)
  return inside
}

const MAX_STACK = 4000
/** Bounds on a crash reason as the page gets it: a stack's worth of text, three causes deep. */
const REASON_LIMITS = { maxBytes: 32 * 1024, maxDepth: 8, maxItems: 50, maxString: MAX_STACK + 100 }

/**
 * Makes crash reasons fit to show: described as data, each stack cut to a
 * page's worth with its paths relative to `cwd`, then passed through
 * `redact` as a state is (with `subject`, the branch or supervisor, as the
 * id). If `redact` throws, only that it did is shown.
 */
export function reasonShower(redact: Redactor, cwd: string): (reason: unknown, subject: string) => ReasonRecord {
  return (reason, subject) => {
    const record = located(describeReason(reason), cwd)
    try {
      return stateView(record, subject, redact, REASON_LIMITS).state as ReasonRecord
    } catch (error) {
      if (!(error instanceof RedactionFailed)) throw error
      return { name: 'Error', message: `[hidden: ${error.message}]` }
    }
  }
}

function located(reason: ReasonRecord, cwd: string): ReasonRecord {
  const { message, stack, cause, ...rest } = reason
  const cut = stack !== undefined && stack.length > MAX_STACK ? `${stack.slice(0, MAX_STACK)}…` : stack
  return {
    ...rest,
    message: relativePaths(message, cwd),
    ...(cut !== undefined ? { stack: relativePaths(cut, cwd) } : {}),
    ...(cause ? { cause: located(cause, cwd) } : {})
  }
}
