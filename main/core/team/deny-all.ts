/**
 * The team-wide Deny-all as signed statements. Any pinned member may turn it on. Turning it off needs the
 * same right that turned it on: the member who turned it on, or a member the settings name as a team
 * admin. A statement counts only when it is newer than the one in force, so an old "off" replayed after a
 * newer "on" changes nothing.
 */
import type { KeyObject } from "node:crypto";
import { checkSignature, type Signed, type StatementBase } from "./keys.js";

/** "Deny-all on" or "off", signed by the member who moved the switch. */
export interface DenyAllStatement extends StatementBase {
  kind: "deny-all";
  on: boolean;
}

/** The team Deny-all as this warden holds it. */
export interface TeamDenyAll {
  on: boolean;
  by?: string;
  at?: number;
  /** The statement in force, as stored in Redis. */
  signed?: Signed<DenyAllStatement>;
}

/** Whether `member` may turn off a Deny-all that `current` says is on. */
export function mayTurnOff(current: TeamDenyAll, member: string, admins: ReadonlySet<string>): boolean {
  return !current.on || current.by === member || admins.has(member);
}

/**
 * What a received statement does to the Deny-all in force: the new state, or why it is refused.
 * Pure: the pinned keys and the admins come in.
 */
export function applyDenyAll(
  current: TeamDenyAll,
  signed: Signed<StatementBase>,
  pinned: ReadonlyMap<string, KeyObject>,
  admins: ReadonlySet<string>,
  team: string,
): { state: TeamDenyAll } | { refused: string } {
  const bad = checkSignature(signed, pinned, team);
  if (bad) return { refused: `Deny-all statement refused: ${bad}` };
  const statement = signed.statement as DenyAllStatement;
  if (statement.kind !== "deny-all" || typeof statement.on !== "boolean")
    return { refused: "Deny-all statement refused: not a Deny-all statement" };
  if (current.at !== undefined && statement.at <= current.at) {
    if (current.signed?.sig === signed.sig) return { state: current };
    return { refused: `Deny-all statement refused: older than the one in force (by ${current.by ?? "?"})` };
  }
  if (!statement.on && !mayTurnOff(current, statement.by, admins))
    return {
      refused: `Deny-all statement refused: "${statement.by}" may not turn off the Deny-all "${current.by}" turned on`,
    };
  return {
    state: {
      on: statement.on,
      by: statement.by,
      at: statement.at,
      signed: signed as Signed<DenyAllStatement>,
    },
  };
}
