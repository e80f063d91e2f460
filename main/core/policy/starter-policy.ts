/**
 * A starter policy for one server, written from the risk of its tools: low-risk reads are allowed,
 * anything that changes state asks a human and is rate-limited per client, and what cannot be undone
 * (critical) is refused. Each rule carries a `comment` saying what the tool does and why it got its action.
 * Portmanteau tools get one sub-rule per action, matching on the action argument.
 */
import type { Action, PolicyInput } from "../../../shared/policy-schema.js";
import { VIRTUALIZATION_OPERATIONS } from "./operations.js";
import { type Risk, type RiskLevel, type RiskTool, toolRisks } from "./risk.js";

type RuleInput = Exclude<PolicyInput["tools"], undefined>[string];
type SubRuleInput = Extract<RuleInput, unknown[]>[number];

/** Calls a client may make per minute to a tool that asks a human, by risk level. */
export const STARTER_LIMITS: Readonly<Record<Exclude<RiskLevel, "low" | "critical">, number>> = {
  medium: 30,
  high: 10,
};

/** One rule (or sub-rule) of a starter policy, for printing what was written. */
export interface StarterRule {
  /** The key under `tools`: "server/tool". */
  key: string;
  /** For a sub-rule: the argument and value it matches. */
  match?: { argument: string; value: string };
  action: Action;
  risk: Risk;
}

/** A starter policy and a summary of its rules. */
export interface StarterPolicy {
  policy: PolicyInput;
  rules: StarterRule[];
}

/** What the starter policy does at each level. */
function actionFor(level: RiskLevel): Action {
  if (level === "low") return "allow";
  if (level === "critical") return "deny";
  return "approve";
}

/** The operation (e.g. `stop_vm`) a tool call is, so stop_vm and vm_management stop share a counter. */
function operationOf(tool: string, argument?: string, value?: string): string | undefined {
  if (argument === undefined) return tool in VIRTUALIZATION_OPERATIONS ? tool : undefined;
  return Object.entries(VIRTUALIZATION_OPERATIONS).find(([, targets]) =>
    targets.some((t) => t.tool === tool && t.match?.[argument] === value),
  )?.[0];
}

function describeRisk(risk: Risk): string {
  const source =
    risk.source === "catalogue" ? "catalogue" : "inferred from its name and annotations: check it";
  return `${risk.kind}, ${risk.level} risk (${source}). ${risk.why}`;
}

/** The rule for one tool, or one action of a tool. */
function ruleFor(server: string, risk: Risk, counter: string): SubRuleInput {
  const action = actionFor(risk.level);
  if (action === "allow") return { action, comment: `${describeRisk(risk)} Allowed.` };
  if (action === "deny") {
    return {
      action,
      reason: `${risk.why} The policy leaves this to a person, not an agent.`,
      comment: `${describeRisk(risk)} Refused: it cannot be undone. Set action to "approve" to decide case by case.`,
    };
  }
  const max = STARTER_LIMITS[risk.level as keyof typeof STARTER_LIMITS];
  return {
    action,
    reason: risk.why,
    limits: [{ counter: `${server}/${counter}`, window: "minute", max, scope: "grant" }],
    comment: `${describeRisk(risk)} Asks you each time, and at most ${max} a minute per client.`,
  };
}

/** Writes the starter policy for `server` from its tools (as the server lists them). */
export function starterPolicy(server: string, tools: readonly RiskTool[]): StarterPolicy {
  const entries: [string, RuleInput][] = [];
  const rules: StarterRule[] = [];
  for (const tool of tools) {
    const key = `${server}/${tool.name}`;
    const risks = toolRisks(tool);
    const { argument, actions } = risks;
    if (!argument || !actions) {
      entries.push([key, ruleFor(server, risks.risk, operationOf(tool.name) ?? tool.name)]);
      rules.push({ key, action: actionFor(risks.risk.level), risk: risks.risk });
      continue;
    }
    const subRules: SubRuleInput[] = Object.entries(actions).map(([value, risk]) => {
      rules.push({ key, match: { argument, value }, action: actionFor(risk.level), risk });
      const counter = operationOf(tool.name, argument, value) ?? `${tool.name}.${value}`;
      return { match: { [argument]: value }, ...ruleFor(server, risk, counter) };
    });
    const fallback = ruleFor(server, { ...risks.risk, level: "high" }, `${tool.name}.other`);
    subRules.push({
      ...fallback,
      reason: `an ${argument} the starter policy does not know`,
      comment: `Any other ${argument} (a newer server version?): asks you, at most ${STARTER_LIMITS.high} a minute per client.`,
    });
    entries.push([key, subRules]);
  }
  return {
    policy: {
      version: "1",
      comment:
        `Starter policy for the server "${server}", written by mcp-warden init from the risk of its tools: ` +
        "low-risk reads are allowed, changes ask you and are rate-limited per client, and what cannot be " +
        "undone is refused. Edit it freely; mcp-warden check validates it.",
      default: "approve",
      tools: Object.fromEntries(entries),
    },
    rules,
  };
}
