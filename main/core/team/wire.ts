/**
 * How a team joins the rest of the core: its approvals go through the warden's broker, its Deny-all ends
 * every pending approval, what it says goes to the UI's events, and who did what goes into the audit log.
 */
import type { WardenEvents } from "../../../shared/contract.js";
import type { ApprovalBroker } from "../approvals/broker.js";
import type { Emitter } from "../emitter.js";
import type { Team } from "./team.js";

/** What the team needs of the warden. */
export interface TeamHost {
  broker: ApprovalBroker;
  events: Emitter<WardenEvents>;
  /** Whether any Deny-all (this warden's own or the team's) is on. */
  denyAll(): boolean;
  /** Writes a line into the audit log (who turned the team Deny-all on, refused answers). */
  note(line: { ts: number; event: string; by?: string; detail?: string }): void;
}

/** Connects a team to the warden's broker, events and audit. */
export function wireTeam(team: Team, host: TeamHost): void {
  team.watch(host.broker);
  team.on("denyAll", ({ on }) => {
    if (on) host.broker.denyAll();
    host.events.emit("denyAll", { on: host.denyAll() });
  });
  team.on("status", (status) => host.events.emit("team", status));
  team.on("approvalAdded", (approval) => host.events.emit("approvalAdded", approval));
  team.on("approvalEnded", (ended) => host.events.emit("approvalEnded", ended));
  team.on("note", (line) => host.note(line));
}
