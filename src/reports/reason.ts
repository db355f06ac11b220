/** An error (or any other crash reason) as plain data: what a JSON logger, a span or a web page can carry. */
export interface ReasonRecord {
  readonly name: string
  readonly message: string
  /** A `KeepsakeError`'s (or a Node error's) code. */
  readonly code?: string
  readonly stack?: string
  /** The error's `cause`, described the same way (three levels at most). */
  readonly cause?: ReasonRecord
}

const MAX_CAUSES = 3

/**
 * Describes a crash reason as plain data. Never throws, whatever it is given
 * (getters that throw, proxies, cycles in the cause chain).
 */
export function describeReason(reason: unknown, depth = 0): ReasonRecord {
  try {
    if (reason instanceof Error) {
      const code = (reason as { code?: unknown }).code
      const cause = depth < MAX_CAUSES && reason.cause !== undefined && reason.cause !== reason ? describeReason(reason.cause, depth + 1) : undefined
      return {
        name: reason.name,
        message: reason.message,
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof reason.stack === 'string' ? { stack: reason.stack } : {}),
        ...(cause ? { cause } : {})
      }
    }
    return { name: typeof reason, message: typeof reason === 'string' ? reason : String(reason) }
  } catch {
    return { name: 'unknown', message: 'a reason that could not be read' }
  }
}

/** A short, low-cardinality label for a reason (a metric attribute): its code, else its class name. */
export function reasonLabel(reason: unknown): string {
  try {
    if (reason instanceof Error) {
      const code = (reason as { code?: unknown }).code
      return typeof code === 'string' ? code : reason.name
    }
    return typeof reason
  } catch {
    return 'unknown'
  }
}
