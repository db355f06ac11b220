import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Checks an `Authorization: Bearer <token>` header against the token in
 * constant time: both sides are hashed first, so neither the token's content
 * nor its length shows in how long a wrong guess takes.
 */
export function tokenChecker(token: string): (header: string | undefined) => boolean {
  const expected = digest(token)
  return (header) => {
    const given = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? ''
    return timingSafeEqual(digest(given), expected) && given.length > 0
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
