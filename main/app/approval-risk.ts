/**
 * The risk a notification shows for a waiting call: the core's risk catalogue (main/core/risk.ts) applied
 * to the tool's definition as its server lists it (or to its name alone), with the call's arguments
 * picking the action of a portmanteau tool.
 */
import type { PendingApproval } from "../../shared/contract.js";
import { type RiskTool, riskOf } from "../core/risk.js";
import type { CallRisk } from "./notifications.js";

/** A `riskOf` for the notifications, reading tool definitions through `toolsOf`. */
export function approvalRisk(
  toolsOf: (server: string) => readonly RiskTool[] | undefined,
): (approval: PendingApproval) => CallRisk {
  return (approval) => {
    const definition = toolsOf(approval.server)?.find((tool) => tool.name === approval.tool);
    return riskOf(definition ?? { name: approval.tool }, approval.args);
  };
}
