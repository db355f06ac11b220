import { transfer } from '../api/supervision'
import { KeepsakeError } from '../shared/errors'
import { Branch } from '../supervisor/Branch'
import { Supervisor } from '../supervisor/Supervisor'
import { HttpError } from './http'
import type { Entry, Model } from './model'

/** What the page may ask for, with the token. */
export type ActionRequest =
  | { readonly action: 'kill' | 'restart' | 'terminate'; readonly key: string }
  | { readonly action: 'transfer'; readonly key: string; readonly to: string }

const ACTIONS = ['kill', 'restart', 'terminate', 'transfer'] as const

/** Checks an action's body. */
export function readAction(body: unknown): ActionRequest {
  const o = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>
  const { action, key, to } = o
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) throw new HttpError(400, `"action" must be one of ${ACTIONS.join(', ')}`)
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) throw new HttpError(400, '"key" must be a node key from the view')
  if (action !== 'transfer') return { action: action as 'kill' | 'restart' | 'terminate', key }
  if (typeof to !== 'string' || to.length === 0 || to.length > 200) throw new HttpError(400, '"to" must be the key of the supervisor to move the branch to')
  return { action, key, to }
}

/**
 * Carries out an action on the current tree; resolves with what was done.
 * `restart` is OTP's restart_child: for a stopped child (kill restarts a running worker).
 */
export async function perform(request: ActionRequest, model: Model): Promise<string> {
  const entry = find(model, request.key)
  const { id } = entry.node
  try {
    switch (request.action) {
      case 'kill': {
        const branch = entry.object
        if (!(branch instanceof Branch)) throw new HttpError(409, `${id} is not a branch: only a branch's worker can be killed`)
        const incarnation = entry.node.incarnation
        branch.kill(new Error('killed from the inspector'))
        return `killed worker #${incarnation} of ${id}`
      }
      case 'terminate':
        await parentOf(entry).terminateChild(id)
        return `terminated ${id}`
      case 'restart':
        await parentOf(entry).restartChild(id)
        return `restarted ${id}`
      case 'transfer': {
        const branch = entry.object
        const to = find(model, request.to).object
        if (!(branch instanceof Branch)) throw new HttpError(409, `${id} is not a branch: only branches are transferred`)
        if (!(to instanceof Supervisor)) throw new HttpError(409, 'the target is not a supervisor')
        await transfer(branch, parentOf(entry), to)
        return `moved ${id} from ${parentOf(entry).id} to ${to.id}`
      }
    }
  } catch (error) {
    // The supervisor's own typed errors (a running child, a full target...) say what was wrong.
    if (error instanceof KeepsakeError) throw new HttpError(409, error.message)
    throw error
  }
}

function find(model: Model, key: string): Entry {
  const entry = model.index.get(key)
  if (!entry) throw new HttpError(404, `no node with key ${JSON.stringify(key)} in the tree (it may have stopped)`)
  return entry
}

function parentOf(entry: Entry): Supervisor {
  if (!entry.parent) throw new HttpError(409, `${entry.node.id} is a root: no supervisor holds it`)
  return entry.parent
}
