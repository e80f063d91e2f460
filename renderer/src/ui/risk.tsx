/**
 * Risk as the views show it. The core has a risk catalogue (main/core/risk.ts) but the contract does not
 * carry it yet; when `PendingApproval.risk` and `ServerStatus.tools[].risk` arrive (asked of the core) they
 * are shown as they are. Until then an approval is shown as high risk: a human is asked precisely because
 * the call can do harm, and tools show no risk rather than a guessed one.
 */
import type { PendingApproval, ServerStatus } from "../../../shared/contract.js";

/** The parts of the core's `Risk` the views read. */
export interface RiskView {
  level: "low" | "medium" | "high" | "critical";
  kind?: string;
  why?: string;
}

const TONE: Record<RiskView["level"], string> = { low: "ok", medium: "warn", high: "bad", critical: "bad" };

/** The risk of a waiting call: the core's when it sends one, else high. */
export function approvalRisk(approval: PendingApproval): RiskView {
  return (approval as PendingApproval & { risk?: RiskView }).risk ?? { level: "high" };
}

/** A tool's risk, when the core sends one. */
export function toolRisk(tool: ServerStatus["tools"][number]): RiskView | undefined {
  return (tool as typeof tool & { risk?: RiskView }).risk;
}

export function RiskBadge({ risk }: { risk: RiskView }) {
  return (
    <span className={`badge tone-${TONE[risk.level]} risk`} title={risk.why}>
      risk: {risk.level}
      {risk.kind ? ` (${risk.kind})` : ""}
    </span>
  );
}
