/**
 * The approval broker: calls that need a human wait here. Each request has an id, the call, the rule and
 * a deadline; it ends exactly once — approved, denied, timed out, cancelled by the client, or denied by
 * Deny-all. An approval is single-use and bound to its call's hash.
 */
import { randomUUID } from "node:crypto";
import type { ApprovalEnd, PendingApproval } from "../../../shared/contract.js";
import { callHash } from "../canonical.js";
import { Emitter } from "../emitter.js";

/** What a caller asks approval for. */
export type ApprovalRequest = Omit<PendingApproval, "id" | "createdAt" | "deadline" | "callHash"> & {
  timeoutMs: number;
  signal?: AbortSignal;
};

const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiting {
  approval: PendingApproval;
  settle: (end: ApprovalEnd) => void;
}

export interface ApprovalEvents {
  added: PendingApproval;
  ended: { approval: PendingApproval; end: ApprovalEnd };
}

/** Holds pending approvals and ends them. */
export class ApprovalBroker extends Emitter<ApprovalEvents> {
  readonly #waiting = new Map<string, Waiting>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    super();
    this.#now = now;
  }

  /** Waits for a human's answer; resolves with how the request ended (never rejects). */
  request(request: ApprovalRequest): Promise<ApprovalEnd> {
    const { timeoutMs, signal, ...call } = request;
    const createdAt = this.#now();
    const approval: PendingApproval = {
      ...call,
      id: randomUUID(),
      createdAt,
      deadline: createdAt + timeoutMs,
      callHash: callHash(call.server, call.tool, call.args),
    };
    if (signal?.aborted) return Promise.resolve("cancelled");
    return new Promise<ApprovalEnd>((resolve) => {
      let timer: NodeJS.Timeout;
      // Node timers cannot wait past 2^31-1 ms: re-arm until the deadline is really reached.
      const arm = (ms: number) => {
        timer = setTimeout(() => {
          const left = approval.deadline - this.#now();
          if (left > 0 && ms === MAX_TIMER_MS) arm(Math.min(left, MAX_TIMER_MS));
          else this.#end(approval.id, "timed-out");
        }, ms);
      };
      arm(Math.min(timeoutMs, MAX_TIMER_MS));
      const onAbort = () => this.#end(approval.id, "cancelled");
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(approval.id, {
        approval,
        settle: (end) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(end);
        },
      });
      this.emit("added", approval);
    });
  }

  /** Approves a pending request. With `expectedHash`, only if it is still exactly the call shown. */
  approve(id: string, expectedHash?: string): { ok: boolean; error?: string } {
    const waiting = this.#waiting.get(id);
    if (!waiting)
      return { ok: false, error: "no pending approval with that id (already answered or expired)" };
    if (expectedHash !== undefined && expectedHash !== waiting.approval.callHash) {
      return { ok: false, error: "the call does not match the one shown for approval" };
    }
    this.#end(id, "approved");
    return { ok: true };
  }

  /** Denies a pending request. */
  deny(id: string): { ok: boolean; error?: string } {
    if (!this.#waiting.has(id))
      return { ok: false, error: "no pending approval with that id (already answered or expired)" };
    this.#end(id, "denied");
    return { ok: true };
  }

  /** Ends every pending request as denied by Deny-all; returns how many there were. */
  denyAll(): number {
    const ids = [...this.#waiting.keys()];
    for (const id of ids) this.#end(id, "deny-all");
    return ids.length;
  }

  /** The pending requests, oldest first. */
  list(): PendingApproval[] {
    return [...this.#waiting.values()].map((w) => w.approval);
  }

  #end(id: string, end: ApprovalEnd): void {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    waiting.settle(end);
    this.emit("ended", { approval: waiting.approval, end });
  }
}
