/** Coloured badges for a call's status and a decision's verdict (text always says it; colour helps). */
import type { CallStatus, Decision } from "../../../shared/contract.js";
import { STATUS_LABEL, STATUS_TONE, VERDICT_LABEL, VERDICT_TONE } from "../format.js";

export function StatusBadge({ status }: { status: CallStatus }) {
  return <span className={`badge tone-${STATUS_TONE[status]}`}>{STATUS_LABEL[status]}</span>;
}

export function VerdictBadge({ verdict }: { verdict: Decision["verdict"] }) {
  return <span className={`badge tone-${VERDICT_TONE[verdict]}`}>{VERDICT_LABEL[verdict]}</span>;
}
