/**
 * Risk as the views show it, from the contract's `Risk`: what a call does (kind), how bad a mistake would
 * be (level), a one-line why, and whether it comes from the catalogue or was inferred.
 */
import type { Risk, RiskLevel } from "../../../shared/contract.js";

const TONE: Record<RiskLevel, string> = { low: "ok", medium: "warn", high: "bad", critical: "bad" };

const INFERRED_HINT = "Inferred from the tool's name, description and annotations (not from the catalogue)";

/** The hover text of a risk: its why, and where it comes from. */
export function riskTitle(risk: Risk): string {
  return `${risk.why}${risk.source === "inferred" ? ` (${INFERRED_HINT.toLowerCase()})` : ""}`;
}

/** `risk: high (destructive)`, coloured by level; the why on hover. */
export function RiskBadge({ risk }: { risk: Risk }) {
  return (
    <span className={`badge tone-${TONE[risk.level]} risk risk-${risk.level}`} title={riskTitle(risk)}>
      risk: {risk.level} ({risk.kind})
    </span>
  );
}

/** Just the level (`high`), for compact lists such as a portmanteau tool's actions. */
export function RiskLevelBadge({ risk }: { risk: Risk }) {
  return (
    <span className={`badge tone-${TONE[risk.level]} risk risk-${risk.level}`} title={riskTitle(risk)}>
      {risk.level}
    </span>
  );
}

/** A small "inferred" tag for risks that are not from the catalogue. */
export function InferredTag({ risk }: { risk: Risk }) {
  if (risk.source !== "inferred") return null;
  return (
    <span className="inferred" title={INFERRED_HINT}>
      inferred
    </span>
  );
}

/** A badge for a call whose risk the core did not send (an older core): said plainly, never guessed. */
export function UnknownRiskBadge() {
  return (
    <span className="badge tone-warn risk" title="The warden did not send a risk for this call">
      risk: not assessed
    </span>
  );
}
