import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { InvalidOptionError } from '../shared/errors'

/**
 * The `clusterKey` option: this node's Ed25519 private key, and the public
 * keys of the cluster's other nodes. Keys are PEM text (`openssl genpkey
 * -algorithm ed25519`; `openssl pkey -pubout` for the public half) or Node
 * KeyObjects. One key shared by every node works (leave `trusted` out); one
 * key per node is better: a node's key can be revoked by dropping it from the
 * others' `trusted`, and its seed never leaves its host.
 */
export interface ClusterKeyOptions {
  readonly privateKey: string | KeyObject
  /** The other nodes' public keys; this node's own is always trusted. */
  readonly trusted?: readonly (string | KeyObject)[]
}

/** Signatures are over this prefix, what the bytes are for (subject, bucket key...), then the bytes. */
const DOMAIN = 'keepsake-cluster-sig/1\n'

/**
 * Ed25519 signatures from Node's crypto for what nodes tell each other. A
 * key is named by its raw public key in base64url (its `id`); a signature
 * binds the bytes to a `scope` (the subject, bucket and key they are for), so
 * bytes signed for one place are refused anywhere else.
 */
export class ClusterKey {
  /** This node's key, as signatures name it. */
  readonly id: string
  readonly #private: KeyObject
  readonly #trusted = new Map<string, KeyObject>()

  private constructor(privateKey: KeyObject, trusted: readonly KeyObject[]) {
    this.#private = privateKey
    const own = createPublicKey(privateKey)
    this.id = keyId(own)
    this.#trusted.set(this.id, own)
    for (const key of trusted) this.#trusted.set(keyId(key), key)
  }

  /** Checks the `clusterKey` option; throws InvalidOptionError naming what is wrong. */
  static read(value: unknown): ClusterKey {
    if (typeof value !== 'object' || value === null) throw new InvalidOptionError('clusterKey', '{ privateKey, trusted? } (Ed25519 keys, PEM or KeyObject)', value)
    const o = value as Record<string, unknown>
    const privateKey = readKey(o.privateKey, 'clusterKey.privateKey', 'private')
    if (o.trusted !== undefined && !Array.isArray(o.trusted)) throw new InvalidOptionError('clusterKey.trusted', 'an array of Ed25519 public keys (PEM or KeyObject)', o.trusted)
    const trusted = ((o.trusted as unknown[] | undefined) ?? []).map((key, i) => readKey(key, `clusterKey.trusted[${i}]`, 'public'))
    return new ClusterKey(privateKey, trusted)
  }

  /** This node's signature of `bytes` for `scope`, in base64url. */
  sign(scope: string, bytes: Uint8Array): string {
    return sign(null, signed(scope, bytes), this.#private).toString('base64url')
  }

  /** Why `bytes` can't be trusted for `scope`, or undefined if a trusted key signed them. */
  check(scope: string, bytes: Uint8Array, key: string | undefined, signature: string | undefined): string | undefined {
    if (key === undefined || signature === undefined) return 'it is not signed with a cluster key'
    const publicKey = this.#trusted.get(key)
    if (!publicKey) return 'it is signed by a key this node does not trust'
    const ok = verify(null, signed(scope, bytes), publicKey, Buffer.from(signature, 'base64url'))
    return ok ? undefined : 'its signature does not match (forged, altered, or signed for another subject)'
  }
}

function signed(scope: string, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${DOMAIN}${scope}\n`, 'utf8'), bytes])
}

function keyId(publicKey: KeyObject): string {
  return publicKey.export({ format: 'jwk' }).x as string
}

function readKey(value: unknown, option: string, type: 'private' | 'public'): KeyObject {
  const expected = `an Ed25519 ${type} key (PEM text or a KeyObject)`
  let key: KeyObject
  try {
    if (typeof value === 'string') key = type === 'private' ? createPrivateKey(value) : createPublicKey(value)
    else if (isKeyObject(value)) key = type === 'public' && value.type === 'private' ? createPublicKey(value) : value
    else throw new Error('not a key')
  } catch (error) {
    throw new InvalidOptionError(option, expected, typeof value === 'string' ? '(a string that is not such a key)' : value, { cause: error })
  }
  if (key.asymmetricKeyType !== 'ed25519' || key.type !== type) throw new InvalidOptionError(option, expected, `a ${key.asymmetricKeyType ?? 'secret'} ${key.type} key`)
  return key
}

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === 'object' && value !== null && typeof (value as KeyObject).export === 'function' && typeof (value as KeyObject).type === 'string'
}
