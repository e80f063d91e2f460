/**
 * How many calls may wait for a human: a bound in total (each holds its arguments in memory) and a smaller
 * one per client (grant), so one client's parked calls cannot fill the queue and get every other client's
 * calls refused unseen.
 */
import type { PendingApproval } from "../../../shared/contract.js";

/** Calls that may wait for a human at once; more are refused. */
export const MAX_PENDING_APPROVALS = 100;

/** Calls one client (grant) may have waiting for a human at once. */
export const MAX_PENDING_APPROVALS_PER_GRANT = 20;

/** Why a new call of `client` may not wait for a human now; undefined when it may. */
export function pendingCapReason(pending: readonly PendingApproval[], client: string): string | undefined {
  let own = 0;
  for (const approval of pending) if (approval.client === client) own++;
  if (own >= MAX_PENDING_APPROVALS_PER_GRANT)
    return `this client already has ${MAX_PENDING_APPROVALS_PER_GRANT} calls waiting for a human (the most one client may have); answer those first`;
  if (pending.length >= MAX_PENDING_APPROVALS)
    return `${MAX_PENDING_APPROVALS} calls are already waiting for a human; answer those first`;
  return undefined;
}
