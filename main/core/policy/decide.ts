/**
 * The decision for one tools/call, in the order the design states:
 * deny-all → a tool held back or not offered → find the rule → action deny → argument rules → limits → allow or ask for approval.
 * Pure: state (deny-all, counters, the clock) comes in through `DecideContext`.
 */
import type { Decision } from "../../../shared/contract.js";
import { formatMs } from "../../../shared/durations.js";
import {
  type CompiledLimit,
  type CompiledPolicy,
  type CompiledRule,
  routesFor,
  rulesFor,
} from "./compile.js";

/** The requests the policy decides besides tools/call. */
export const GOVERNED_REQUESTS = ["resources/read", "prompts/get", "completion/complete"] as const;
export type GovernedRequest = (typeof GOVERNED_REQUESTS)[number];

/** Whether a method is one the policy decides besides tools/call. */
export function isGovernedRequest(method: string | undefined): method is GovernedRequest {
  return (GOVERNED_REQUESTS as readonly (string | undefined)[]).includes(method);
}

/** The call as the policy sees it. */
export interface PolicyCall {
  server: string;
  /** The tool; for another governed request, its method (then `args` are its params). */
  tool: string;
  /** Set for a request other than tools/call. */
  method?: GovernedRequest;
  args: Record<string, unknown>;
  /** The client's grant name (its token). */
  grant: string;
  session: string;
}

/** How `decide()` reads counters without changing them. */
export interface LimitView {
  /** Milliseconds until `key` has room for one more call within `windowMs` at most `max`; 0 when it has. */
  waitFor(key: string, windowMs: number, max: number, now: number): number;
}

/** Where a tool stands with the warden: held back until accepted, or not offered by its server. */
export type ToolStanding = (server: string, tool: string) => "held" | "unknown" | undefined;

export interface DecideContext {
  denyAll: boolean;
  limits: LimitView;
  now: number;
  /** Pins and the server's own list; without it (a policy file alone) every named tool is assumed offered. */
  tools?: ToolStanding;
}

/** A team-wide limit a call goes under: checked and counted on the team's Redis, not here. */
export interface TeamLimit {
  key: string;
  limit: CompiledLimit;
}

/** A decision plus the counter keys to reserve when the call goes ahead. */
export interface DecisionWithCounts extends Decision {
  counterKeys: string[];
  /** Team-wide limits, reserved on the team's Redis once the policy lets the call go ahead. */
  teamLimits?: TeamLimit[];
  /** For approve: the rule offers the approval to the team. */
  teamApproval?: { others: boolean };
  /** The limits the call counts under, each with its key (what the approval prompt says is left). */
  counted?: CountedLimit[];
}

/** A limit and the key a call counts under for it. */
export interface CountedLimit {
  key: string;
  limit: CompiledLimit;
}

/** The key a limit counts under for this call: counter name plus its scope's value. */
export function counterKey(limit: CompiledLimit, call: PolicyCall): string {
  switch (limit.scope) {
    case "grant":
      return `${limit.counter}\u0000grant:${call.grant}`;
    case "session":
      return `${limit.counter}\u0000session:${call.session}`;
    case "server":
      return `${limit.counter}\u0000server:${call.server}`;
    case "global":
      return `${limit.counter}\u0000global`;
  }
}

/** The operations a call is recognised as, most specific (server-qualified routes) first. */
export function operationsOf(policy: CompiledPolicy, server: string, tool: string, args: unknown): string[] {
  const out: string[] = [];
  const routes = routesFor(policy, tool);
  for (const qualified of [true, false]) {
    for (const route of routes) {
      if ((route.server !== undefined) !== qualified || (qualified && route.server !== server)) continue;
      if (route.matches(args) && !out.includes(route.operation)) out.push(route.operation);
    }
  }
  return out;
}

/** The rule keys tried for a call, in order: operation, tool, then wildcards; each with its operation. */
function candidateKeys(
  server: string,
  tool: string,
  operations: readonly string[],
): { key: string; operation: string | undefined }[] {
  const keys: { key: string; operation: string | undefined }[] = operations.flatMap((operation) => [
    { key: `${server}/${operation}`, operation },
    { key: operation, operation },
  ]);
  const fallback: string | undefined = operations[0];
  for (const key of [`${server}/${tool}`, tool, `${server}/*`, "*"]) keys.push({ key, operation: fallback });
  return keys.filter((k, i) => keys.findIndex((o) => o.key === k.key) === i);
}

/** The first rule of a list that fits the arguments. */
function firstMatch(rules: readonly CompiledRule[] | undefined, args: unknown): CompiledRule | undefined {
  return rules?.find((r) => r.matches(args));
}

/** The resource rule for a URI: server-qualified patterns first, each in the order written. */
function resourceRule(
  policy: CompiledPolicy,
  server: string,
  uri: unknown,
  args: unknown,
): CompiledRule | undefined {
  if (typeof uri !== "string") return undefined;
  for (const r of policy.resourceRules) {
    if (r.server !== undefined && r.server !== server) continue;
    if (!r.pattern.test(uri)) continue;
    const rule = firstMatch(r.rules, args);
    if (rule) return rule;
  }
  return undefined;
}

/** The prompt rule for a prompt name: "server/prompt", "prompt", "server/*", "*". */
function promptRule(
  policy: CompiledPolicy,
  server: string,
  name: unknown,
  args: unknown,
): CompiledRule | undefined {
  if (typeof name !== "string") return undefined;
  for (const key of [`${server}/${name}`, name, `${server}/*`, "*"]) {
    const rule = firstMatch(policy.promptRules.get(key), args);
    if (rule) return rule;
  }
  return undefined;
}

/** The rule for a request other than tools/call; a completion is decided as what it completes. */
function requestRule(policy: CompiledPolicy, call: PolicyCall): CompiledRule | undefined {
  const args = call.args;
  if (call.method === "resources/read") return resourceRule(policy, call.server, args.uri, args);
  if (call.method === "prompts/get") return promptRule(policy, call.server, args.name, args);
  const ref = (args.ref ?? {}) as { type?: unknown; name?: unknown; uri?: unknown };
  return ref.type === "ref/prompt"
    ? promptRule(policy, call.server, ref.name, args)
    : resourceRule(policy, call.server, ref.uri, args);
}

/** What a request that no rule names is called in the default's reason. */
const KIND: Record<GovernedRequest, string> = {
  "resources/read": "resource",
  "prompts/get": "prompt",
  "completion/complete": "completion",
};

/** Finds the rule that governs a call and the operation it was recognised as. */
export function findRule(
  policy: CompiledPolicy,
  server: string,
  tool: string,
  args: unknown,
): { rule: CompiledRule; operation: string | undefined } {
  const operations = operationsOf(policy, server, tool, args);
  for (const { key, operation } of candidateKeys(server, tool, operations)) {
    const rule = rulesFor(policy, key)?.find((r) => r.matches(args));
    if (rule) return { rule, operation };
  }
  return { rule: policy.defaultRule, operation: operations[0] };
}

function deny(
  rule: string,
  reason: string,
  denial: Decision["denial"],
  operation?: string,
): DecisionWithCounts {
  return { verdict: "deny", rule, reason, denial, counterKeys: [], ...(operation ? { operation } : {}) };
}

/** The default rule, with a reason that names what no rule allows (unless the policy gives its own). */
function requestDefault(policy: CompiledPolicy, method: GovernedRequest): CompiledRule {
  if (policy.source.reason !== undefined) return policy.defaultRule;
  return { ...policy.defaultRule, reason: `no rule allows this ${KIND[method]}` };
}

/** Decides one call. */
export function decide(policy: CompiledPolicy, call: PolicyCall, ctx: DecideContext): DecisionWithCounts {
  if (ctx.denyAll)
    return deny("deny-all", "Deny-all is on: every call is refused until it is turned off", "deny-all");

  const standing = call.method ? undefined : ctx.tools?.(call.server, call.tool);
  if (standing === "held")
    return deny(
      "tool-pinning",
      "this tool is new or has changed since it was accepted; accept it in MCP Warden first",
      "rule",
    );
  if (standing === "unknown")
    return deny(
      "tool-pinning",
      `server "${call.server}" does not offer a tool named ${JSON.stringify(call.tool)}`,
      "rule",
    );

  const { rule, operation } = call.method
    ? { rule: requestRule(policy, call) ?? requestDefault(policy, call.method), operation: undefined }
    : findRule(policy, call.server, call.tool, call.args);
  if (rule.action === "deny") {
    return deny(rule.label, rule.reason ?? `${rule.label} denies this tool`, "rule", operation);
  }
  if (rule.action === "approve" && call.method === "completion/complete") {
    // Nobody is asked to approve an autocomplete: where the prompt or resource needs a human, its
    // completions are refused.
    return deny(
      rule.label,
      "completions are refused where a human must approve the prompt or resource",
      "rule",
    );
  }

  const argsProblem = rule.checkArgs?.(call.args);
  if (argsProblem)
    return deny(
      rule.label,
      rule.reason ? `${argsProblem} (${rule.reason})` : argsProblem,
      "arguments",
      operation,
    );
  for (const condition of rule.conditions) {
    if (!condition.test(call.args)) {
      const why = `condition not met: ${condition.describe()}`;
      return deny(rule.label, rule.reason ? `${why} (${rule.reason})` : why, "arguments", operation);
    }
  }

  const counterKeys: string[] = [];
  const counted: CountedLimit[] = [];
  const teamLimits: TeamLimit[] = [];
  for (const limit of rule.limits) {
    const key = counterKey(limit, call);
    if (limit.team) {
      if (!teamLimits.some((t) => t.key === key)) teamLimits.push({ key, limit });
      continue;
    }
    const wait = ctx.limits.waitFor(key, limit.windowMs, limit.max, ctx.now);
    if (wait > 0) {
      const per = limit.scope === "global" ? "" : ` per ${limit.scope}`;
      return {
        ...deny(
          rule.label,
          `limit "${limit.counter}" reached: ${limit.max} per ${limit.window}${per}; frees up in ${formatMs(wait)}`,
          "limit",
          operation,
        ),
        limit: { counter: limit.counter, window: limit.window, max: limit.max, scope: limit.scope },
        retryAfterMs: wait,
      };
    }
    if (!counterKeys.includes(key)) counterKeys.push(key);
    counted.push({ key, limit });
  }

  const decision: DecisionWithCounts = {
    verdict: rule.action,
    rule: rule.label,
    reason:
      rule.reason ??
      (rule.action === "approve"
        ? `this ${call.method ? KIND[call.method] : "tool"} needs a human's approval`
        : "allowed by policy"),
    counterKeys,
    ...(counted.length ? { counted } : {}),
    ...(operation ? { operation } : {}),
    ...(teamLimits.length ? { teamLimits } : {}),
  };
  if (rule.action === "approve") decision.approvalTimeoutMs = rule.approvalTimeoutMs;
  if (rule.action === "approve" && rule.teamApproval) decision.teamApproval = rule.teamApproval;
  return decision;
}
