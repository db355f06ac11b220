import { BranchStoppedError, RestartIntensityExceeded, type KeepsakeError } from '../shared/errors'
import type { StopReason } from './types'

/** What a message to a stopped branch gets, however it learns of the stop: its `cause` is the failure, if it failed. */
export function stoppedError(branchId: string, reason: StopReason): BranchStoppedError {
  return new BranchStoppedError(branchId, describeStop(reason), reason.kind === 'failure' ? { cause: reason.error } : undefined)
}

function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case 'normal':
      return 'its logic reached a final state'
    case 'shutdown':
      return 'it was stopped'
    case 'failure':
      return failureText(reason.error)
  }
}

function failureText(error: KeepsakeError): string {
  return error instanceof RestartIntensityExceeded ? 'restart intensity exceeded' : error.message
}
