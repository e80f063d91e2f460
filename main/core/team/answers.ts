/**
 * Approvals answered by teammates. The warden that holds the call offers it to the team as a signed
 * request; a member who answers signs an answer bound to that approval's id, the call's id and the call's
 * hash (server, tool, canonical arguments). The holding warden forwards the call only for an answer that
 * is signed by a pinned member's key, names exactly this pending approval and call, is fresh, has not been
 * used before, and — where the rule says so — comes from someone other than the member whose agent made
 * the call. Anything else is refused and the call keeps waiting (or times out).
 */
import type { KeyObject } from "node:crypto";
import type { PendingApproval } from "../../../shared/contract.js";
import { checkSignature, type Signed, type StatementBase } from "./keys.js";

/** A teammate's answer to one pending approval. */
export interface AnswerStatement extends StatementBase {
  kind: "answer";
  /** The member whose warden holds the call: only that warden acts on the answer. */
  to: string;
  approvalId: string;
  callId: string;
  callHash: string;
  answer: "approve" | "deny";
}

/** The holding warden's offer of a pending approval to the team. */
export interface RequestStatement extends StatementBase {
  kind: "approval-request";
  approval: PendingApproval;
}

/** How old an answer may be when it arrives (answers travel at once; this bounds replays and skew). */
export const ANSWER_MAX_AGE_MS = 30_000;
/** How far ahead of this warden's clock an answer's time may be (another machine's clock). */
export const CLOCK_SKEW_MS = 5_000;

/** What checking an answer found. */
export type AnswerCheck =
  | { ok: true; approval: PendingApproval; answer: "approve" | "deny"; by: string }
  | { ok: false; reason: string };

/** Checks an answer against the approvals this warden holds for the team. Pure. */
export function checkAnswer(
  signed: Signed<StatementBase>,
  offered: ReadonlyMap<string, PendingApproval>,
  used: ReadonlySet<string>,
  pinned: ReadonlyMap<string, KeyObject>,
  team: string,
  now: number,
): AnswerCheck {
  const bad = checkSignature(signed, pinned, team);
  if (bad) return { ok: false, reason: `answer refused: ${bad}` };
  const s = signed.statement as AnswerStatement;
  if (s.kind !== "answer" || (s.answer !== "approve" && s.answer !== "deny"))
    return { ok: false, reason: "answer refused: not an approval answer" };
  if (used.has(signed.sig)) return { ok: false, reason: `answer refused: ${s.by}'s answer was already used` };
  const approval = offered.get(s.approvalId);
  if (!approval)
    return {
      ok: false,
      reason: `answer refused: no pending team approval ${s.approvalId} here (answered, ended, or never offered)`,
    };
  if (s.callId !== approval.callId || s.callHash !== approval.callHash)
    return {
      ok: false,
      reason: `answer refused: ${s.by}'s answer is for another call than approval ${s.approvalId}`,
    };
  if (
    s.at > now + CLOCK_SKEW_MS ||
    s.at < now - ANSWER_MAX_AGE_MS ||
    s.at < approval.createdAt - CLOCK_SKEW_MS
  )
    return { ok: false, reason: `answer refused: ${s.by}'s answer is not fresh` };
  if (s.answer === "approve" && approval.team?.othersOnly && s.by === approval.team.requester)
    return { ok: false, reason: `answer refused: someone other than ${s.by} must approve this call` };
  return { ok: true, approval, answer: s.answer, by: s.by };
}

/** Whether a received request is one a member may show: signed by that member, naming itself as holder. */
export function checkRequest(
  signed: Signed<StatementBase>,
  pinned: ReadonlyMap<string, KeyObject>,
  team: string,
): { ok: true; approval: PendingApproval } | { ok: false; reason: string } {
  const bad = checkSignature(signed, pinned, team);
  if (bad) return { ok: false, reason: `approval request refused: ${bad}` };
  const s = signed.statement as RequestStatement;
  if (s.kind !== "approval-request" || typeof s.approval !== "object" || s.approval === null)
    return { ok: false, reason: "approval request refused: not an approval request" };
  if (s.approval.team?.requester !== s.by)
    return { ok: false, reason: `approval request refused: ${s.by} offered a call held by someone else` };
  if (!hasApprovalShape(s.approval))
    return {
      ok: false,
      reason: `approval request refused: ${s.by} sent a request without the fields one needs`,
    };
  return { ok: true, approval: s.approval };
}

/** Whether an offered approval has what the UI shows and what an answer is bound to. */
function hasApprovalShape(a: PendingApproval): boolean {
  return (
    typeof a.id === "string" &&
    typeof a.callId === "string" &&
    typeof a.callHash === "string" &&
    typeof a.server === "string" &&
    typeof a.tool === "string" &&
    typeof a.deadline === "number" &&
    typeof a.createdAt === "number" &&
    a.args !== null &&
    typeof a.args === "object"
  );
}
