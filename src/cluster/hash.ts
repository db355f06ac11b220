// Hashing for placement. A key is placed many times over (every first message,
// every rebalancing, 1,000,000 keys x 100 nodes in the simulation), so this is
// not SHA-256: a 32-bit string hash (murmur3's mixing, over UTF-16 code units)
// once per key and once per node, then one integer mix per (key, node) pair.
// Placement only needs the answers spread evenly and computed alike on every
// node; nothing here resists an adversary choosing keys (the bounded-load
// strategy caps what such keys can pile on one node).

/** murmur3's finalizer: a bijection on 32-bit integers that spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * A 32-bit hash of `text` (murmur3's block mixing, one UTF-16 code unit per
 * block), the same on every node and in every version: placements computed by
 * two nodes, or before and after an upgrade, must agree.
 */
export function hash32(text: string): number {
  let h = 0x9747b28c
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, 0x1b873593)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  return fmix32(h ^ text.length)
}

/**
 * The rendezvous score of a key on a node, from their `hash32`s: the node
 * with the highest score is the key's first choice, the next highest its
 * second, and so on. For one key, two nodes never tie (the mix is a
 * bijection and node hashes differ, barring a 32-bit collision, which the
 * callers break by name).
 */
export function score(keyHash: number, nodeHash: number): number {
  return fmix32(Math.imul(keyHash ^ nodeHash, 0x9e3779b1) ^ keyHash)
}
