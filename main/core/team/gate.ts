/**
 * What a decision needs from the team before the call may go ahead: a slot under each team-wide limit
 * (taken atomically on Redis), and, for an approval that only a teammate may give, a reachable team.
 * Fail closed: without a team, or with its Redis away, such calls are refused and the reason says so;
 * a call that needs nothing of the team never waits for it.
 */
import { formatMs } from "../../../shared/durations.js";
import type { DecisionWithCounts } from "../policy/decide.js";
import type { TeamSlots } from "./limits.js";
import type { Team } from "./team.js";

/** The decision to go on with, and the team slots the call holds (to give back if it is not forwarded). */
export interface TeamGateResult {
  decision: DecisionWithCounts;
  slots?: TeamSlots;
}

/** Whether a decision needs the team at all. */
export function needsTeam(decision: DecisionWithCounts): boolean {
  return (
    decision.verdict !== "deny" &&
    (decision.teamLimits !== undefined || decision.teamApproval?.others === true)
  );
}

/** Takes the team's part of a decision: reserves team-wide slots, checks a teammate can be asked. Never throws. */
export async function teamGate(
  team: Team | undefined,
  decision: DecisionWithCounts,
  callId: string,
  retentionMs: number,
): Promise<TeamGateResult> {
  try {
    return await gate(team, decision, callId, retentionMs);
  } catch (error) {
    return {
      decision: {
        verdict: "deny",
        rule: decision.rule,
        reason: `the team's part of the decision failed: ${(error as Error).message}`,
        denial: "error",
        counterKeys: [],
      },
    };
  }
}

async function gate(
  team: Team | undefined,
  decision: DecisionWithCounts,
  callId: string,
  retentionMs: number,
): Promise<TeamGateResult> {
  const refuse = (reason: string, limitHit = false): TeamGateResult => ({
    decision: {
      verdict: "deny",
      rule: decision.rule,
      reason,
      denial: limitHit ? "limit" : "error",
      counterKeys: [],
      ...(decision.operation ? { operation: decision.operation } : {}),
    },
  });
  const limits = decision.teamLimits ?? [];
  const what = limits.length ? `the team-wide limit "${limits[0]?.limit.counter}"` : "a teammate's approval";
  if (!team) return refuse(`this call needs ${what}, and this warden belongs to no team`);
  if (decision.teamApproval?.others && !team.connected)
    return refuse(`this call needs a teammate's approval, and the team cannot be reached`);
  if (!limits.length) return { decision };
  const reserved = await team.reserve(limits, callId, retentionMs);
  if (reserved.ok) return { decision, slots: reserved.slots };
  if ("error" in reserved)
    return refuse(`${what} cannot be checked: the team's Redis cannot be reached (${reserved.error})`);
  const l = reserved.full.limit;
  const per = l.scope === "global" ? "" : ` per ${l.scope}`;
  return {
    decision: {
      ...refuse(
        `team-wide limit "${l.counter}" reached: ${l.max} per ${l.window}${per} across the team; frees up in ${formatMs(reserved.retryAfterMs)}`,
        true,
      ).decision,
      limit: { counter: l.counter, window: l.window, max: l.max, scope: `team ${l.scope}` },
      retryAfterMs: reserved.retryAfterMs,
    },
  };
}
