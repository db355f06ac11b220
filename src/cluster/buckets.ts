import type { KV, KvOptions, Kvm } from '@nats-io/kv'

/**
 * What JetStream answers a create of a stream that another node is creating
 * at the same moment: nats-server 2.9 can say "subjects overlap with an
 * existing stream" (10065) or "stream name already in use" (10058) while the
 * first create is in flight. Once it is done, the same create succeeds (a
 * create of an existing bucket with the same settings opens it).
 */
const RACING_CREATE = new Set<unknown>([10065, 10058])
const ATTEMPTS = 6

/**
 * Creates (or opens) a KV bucket, as every node of a cluster does at start,
 * concurrently: a create that lost a race with another node's is tried
 * again, a few times with a short backoff; any other error, or a race that
 * does not settle (different settings on different nodes), is thrown.
 */
export async function ensureBucket(kvm: Pick<Kvm, 'create'>, name: string, options: Partial<KvOptions>): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await kvm.create(name, options)
    } catch (error) {
      if (attempt >= ATTEMPTS || !RACING_CREATE.has((error as { code?: unknown } | null)?.code)) throw error
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt))
    }
  }
}
