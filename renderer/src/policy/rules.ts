/**
 * The rules view's model: reading one tool's rule out of the policy text and writing it back, so action,
 * reason and limits can be edited without touching JSON. Other fields of the rule (args, conditions,
 * approval, comment) are kept as they are.
 */
import type { Risk, ServerStatus } from "../../../shared/contract.js";
import type { Action, Scope } from "../../../shared/policy-schema.js";

/** One row of the rules view: a tool, or one action of a multi-action tool (`vm_management {action: "list"}`). */
export interface RuleRow {
  server: string;
  tool: string;
  /** For one action of a multi-action tool: the argument that picks it and its value. */
  action?: { argument: string; value: string };
  description?: string;
  risk?: Risk;
}

/** The rows for the servers' tools: one per tool, or one per action of a tool that has actions. */
export function ruleRows(servers: readonly ServerStatus[]): RuleRow[] {
  return servers.flatMap((s) =>
    s.tools.flatMap((t): RuleRow[] => {
      const base = { server: s.name, tool: t.name, ...(t.description ? { description: t.description } : {}) };
      const argument = t.argument;
      if (!argument || !t.actions || Object.keys(t.actions).length === 0)
        return [{ ...base, ...(t.risk ? { risk: t.risk } : {}) }];
      return Object.entries(t.actions).map(([value, risk]) => ({
        ...base,
        action: { argument, value },
        risk,
      }));
    }),
  );
}

/** The arguments of a dry run for a row: the action's argument alone, or none. */
export function rowArgs(row: RuleRow): Record<string, unknown> {
  return row.action ? { [row.action.argument]: row.action.value } : {};
}

/** A row's identity: server, tool and action. */
export function rowKey(row: RuleRow): string {
  return [row.server, row.tool, row.action?.value ?? ""].join("\u0000");
}

/** A limit as the form edits it (max as typed). */
export interface LimitDraft {
  counter: string;
  window: string;
  max: string;
  scope: Scope;
}

/** A rule as the form edits it; action "" leaves the rule without one (which allows). */
export interface RuleDraft {
  action: Action | "";
  reason: string;
  limits: LimitDraft[];
}

/** Which `tools` entry a decision's rule names: `tools["stop_vm"]`, or a sub-rule `tools["x"][0]`. */
export function ruleKeyOf(rule: string): { key: string; subRule?: number } | undefined {
  const m = /^tools\[("(?:[^"\\]|\\.)*")\](?:\[(\d+)\])?$/.exec(rule);
  if (!m?.[1]) return undefined;
  const key = JSON.parse(m[1]) as string;
  return m[2] === undefined ? { key } : { key, subRule: Number(m[2]) };
}

type PolicyObject = { tools?: Record<string, unknown> } & Record<string, unknown>;

function parseObject(text: string): PolicyObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as PolicyObject) : undefined;
  } catch {
    return undefined;
  }
}

/** What the policy holds at `tools[key]`: nothing, one rule (as a draft), or a list of sub-rules. */
export type RuleAt =
  | { kind: "invalid" }
  | { kind: "none"; draft: RuleDraft }
  | { kind: "rule"; draft: RuleDraft }
  | { kind: "sub-rules"; count: number };

export const EMPTY_RULE: RuleDraft = { action: "", reason: "", limits: [] };

export function readRule(text: string, key: string): RuleAt {
  const policy = parseObject(text);
  if (!policy) return { kind: "invalid" };
  const rule = policy.tools?.[key];
  if (rule === undefined) return { kind: "none", draft: EMPTY_RULE };
  if (Array.isArray(rule)) return { kind: "sub-rules", count: rule.length };
  if (!rule || typeof rule !== "object") return { kind: "invalid" };
  const r = rule as { action?: Action; reason?: string; limits?: Record<string, unknown>[] };
  return {
    kind: "rule",
    draft: {
      action: r.action ?? "",
      reason: r.reason ?? "",
      limits: (Array.isArray(r.limits) ? r.limits : []).map((l) => ({
        counter: String(l.counter ?? ""),
        window: String(l.window ?? "minute"),
        max: String(l.max ?? ""),
        scope: (l.scope as Scope | undefined) ?? "global",
      })),
    },
  };
}

/** A typed max as a number when it is a whole number; otherwise the text (the schema then says why). */
function maxValue(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text) : text;
}

/** The policy text with `tools[key]` set from the draft (undefined removes the rule). Throws on invalid JSON. */
export function writeRule(text: string, key: string, draft: RuleDraft | undefined): string {
  const policy = parseObject(text);
  if (!policy) throw new Error("the policy is not a valid JSON object");
  const tools = { ...(policy.tools ?? {}) };
  if (draft === undefined) {
    delete tools[key];
  } else {
    const held = tools[key];
    const {
      action: _a,
      reason: _r,
      limits: _l,
      ...kept
    } = held && typeof held === "object" && !Array.isArray(held) ? (held as Record<string, unknown>) : {};
    tools[key] = {
      ...(draft.action ? { action: draft.action } : {}),
      ...(draft.reason.trim() ? { reason: draft.reason.trim() } : {}),
      ...(draft.limits.length
        ? {
            limits: draft.limits.map((l) => ({
              counter: l.counter.trim(),
              window: l.window.trim(),
              max: maxValue(l.max),
              scope: l.scope,
            })),
          }
        : {}),
      ...kept,
    };
  }
  return `${JSON.stringify({ ...policy, tools }, null, 2)}\n`;
}
