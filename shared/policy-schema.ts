/**
 * The policy file format: one zod schema that is both the runtime validator (errors with JSON paths) and,
 * through `policyJsonSchema()`, the JSON Schema document editors use. The seed format
 * (`version`, `default`, `tools.<name>.limits`) is accepted verbatim; everything else extends it.
 */
import { z } from "zod";
import { DURATION_PATTERN, durationMs } from "./durations.js";

const duration = z
  .string()
  .regex(DURATION_PATTERN, 'expected a duration such as "30s", "15m", "2h" or "1d"')
  .describe('A duration: a whole number followed by ms, s, m, h or d, e.g. "2m".');

/** Longest approval wait: a week (timers cannot wait beyond about 24 days, and no one should). */
const approvalTimeout = duration.refine(
  (text) => !DURATION_PATTERN.test(text) || durationMs(text) <= 7 * 86_400_000,
  {
    message: "an approval can wait at most 7d",
  },
);

const comment = z
  .string()
  .optional()
  .describe("Free text for people reading the policy; ignored by the engine.");

export const ACTIONS = ["allow", "deny", "approve"] as const;
export const SCOPES = ["grant", "session", "server", "global"] as const;
export const NAMED_WINDOWS = ["second", "minute", "hour", "day"] as const;
export const CONDITION_OPS = [
  "eq",
  "neq",
  "in",
  "not_in",
  "lt",
  "lte",
  "gt",
  "gte",
  "regex",
  "contains",
  "exists",
] as const;

const action = z
  .enum(ACTIONS)
  .describe("allow: forward the call; deny: refuse it with the reason; approve: ask a human first.");

const limit = z
  .strictObject({
    counter: z.string().min(1).describe("Counter name; rules naming the same counter share it."),
    window: z
      .union([z.enum(NAMED_WINDOWS), duration])
      .describe('Sliding window: second, minute, hour, day, or a duration such as "15m".'),
    max: z.int().min(0).describe("Most calls allowed in any window."),
    scope: z
      .enum(SCOPES)
      .default("global")
      .describe("Who shares the count: grant (per client token), session, server, or global."),
    team: z
      .boolean()
      .optional()
      .describe(
        "Count on the team's Redis, shared by every member's warden (per scope value); without a reachable team, calls under it are refused.",
      ),
    comment,
  })
  .describe("A rate limit: at most `max` calls per `window`, counted per `scope`.");

/** Checks a regex condition's pattern compiles, so a typo is an error at load time, not at call time. */
function compilesAsRegex(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    new RegExp(value, "u");
    return true;
  } catch {
    return false;
  }
}

const condition = z
  .strictObject({
    path: z.string().min(1).describe('Dotted path into the arguments, e.g. "vm_name" or "config.memory_mb".'),
    op: z.enum(CONDITION_OPS),
    value: z.unknown().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.op === "regex" && !compilesAsRegex(c.value)) {
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: "regex needs a valid regular expression string",
      });
    }
    if ((c.op === "in" || c.op === "not_in") && !Array.isArray(c.value)) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} needs an array value` });
    }
    if (["lt", "lte", "gt", "gte"].includes(c.op) && typeof c.value !== "number") {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} needs a number value` });
    }
    if (c.op === "exists" && c.value !== undefined && typeof c.value !== "boolean") {
      ctx.addIssue({ code: "custom", path: ["value"], message: "exists takes true, false or no value" });
    }
    if (!["exists"].includes(c.op) && c.value === undefined) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.op} needs a value` });
    }
  })
  .describe("A condition on the call's arguments.");

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** How a sub-rule or an operation picks calls: argument equalities, or a list of conditions. */
const match = z
  .union([z.record(z.string(), scalar), z.array(condition)])
  .describe('Which calls this applies to: {"action": "stop"} (equalities) or a list of conditions.');

const ruleShape = {
  action: action.optional().describe("What to do; a rule without an action allows (subject to its limits)."),
  reason: z.string().optional().describe("Told to the agent (and the human) when the rule refuses a call."),
  args: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("A JSON Schema the arguments must satisfy; a violation denies the call."),
  conditions: z
    .array(condition)
    .optional()
    .describe("Conditions that must all hold; one failing denies the call."),
  limits: z.array(limit).optional(),
  approval: z
    .strictObject({
      timeout: approvalTimeout.optional(),
      team: z
        .boolean()
        .optional()
        .describe("Offer the approval to every team member; any of them may answer (signed)."),
      others: z
        .boolean()
        .optional()
        .describe("With team: only a member other than the one whose agent made the call may approve."),
    })
    .optional()
    .describe("Approval settings for action approve."),
  comment,
};

const rule = z.strictObject(ruleShape).describe("The rule for one tool or operation.");
const subRule = z
  .strictObject({ ...ruleShape, match: match.optional() })
  .describe("One of a list of sub-rules; the first whose match fits the call applies.");

const operationTarget = z.strictObject({
  tool: z.string().min(1).describe('A tool name, or "server/tool".'),
  match: z.record(z.string(), scalar).optional().describe("Argument values that select this operation."),
});

export const policySchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal("1"),
    default: action.describe("What happens to a call no rule names."),
    reason: z.string().optional().describe("Reason given when the default denies."),
    approval: z.strictObject({ timeout: approvalTimeout }).optional().describe("Default approval settings."),
    operations: z
      .record(z.string().min(1), z.array(operationTarget))
      .optional()
      .describe("Extra operation names: each maps to the tools (and argument values) that perform it."),
    tools: z
      .record(z.string().min(1), z.union([rule, z.array(subRule).min(1)]))
      .default({})
      .describe('Rules keyed by "server/tool", "tool", an operation name, "server/*" or "*".'),
    resources: z
      .record(z.string().min(1), z.union([rule, z.array(subRule).min(1)]))
      .optional()
      .describe(
        'Rules for resources/read (and completions of resource templates), keyed by a URI pattern where * matches anything ("file:///home/*"), optionally after "server/"; the arguments rules see are {"uri": ...}.',
      ),
    prompts: z
      .record(z.string().min(1), z.union([rule, z.array(subRule).min(1)]))
      .optional()
      .describe(
        'Rules for prompts/get (and completions of prompt arguments), keyed by "server/prompt", "prompt", "server/*" or "*"; the arguments rules see are {"name": ..., "arguments": {...}}.',
      ),
    comment,
  })
  .describe("MCP Warden policy");

/** A policy as written in the file (defaults not yet applied). */
export type PolicyInput = z.input<typeof policySchema>;
/** A validated policy (defaults applied). */
export type Policy = z.output<typeof policySchema>;
export type Rule = z.output<typeof rule>;
export type SubRule = z.output<typeof subRule>;
export type Limit = z.output<typeof limit>;
export type Condition = z.output<typeof condition>;
export type Match = z.output<typeof match>;
export type OperationTarget = z.output<typeof operationTarget>;
export type Action = (typeof ACTIONS)[number];
export type Scope = (typeof SCOPES)[number];

/** One problem in a policy, at a JSON path such as `tools.stop_vm.limits[0].max`. */
export interface PolicyError {
  path: string;
  message: string;
}

/** Formats a path array as `tools["a/b"].limits[0]`, dotted where the key is a plain identifier. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

/** Result of reading a policy: the policy, or every error found. */
export type PolicyParseResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

/** The parts of a zod issue this file reads (unions carry one list of issues per branch). */
interface SchemaIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  errors?: SchemaIssue[][];
}

/**
 * Turns schema issues into errors at the deepest useful path. A failed union (a rule or a list of
 * sub-rules; a match object or a list of conditions) reports the branch whose shape the value has, so a
 * typo in `action` is reported at `tools.x.action`, not as "invalid input" at `tools.x`.
 */
export function issuesToErrors(issues: readonly SchemaIssue[], base: PropertyKey[] = []): PolicyError[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors?.length) {
      const shapeMatches = issue.errors.filter(
        (b) => !b.every((i) => i.code === "invalid_type" && i.path.length === 0),
      );
      const [only] = shapeMatches;
      if (shapeMatches.length === 1 && only) return issuesToErrors(only, path);
      if (shapeMatches.length === 0) {
        const expected = [...new Set(issue.errors.flatMap((b) => b.map((i) => i.expected ?? "")))].filter(
          Boolean,
        );
        if (expected.length)
          return [{ path: formatJsonPath(path), message: `expected ${expected.join(" or ")}` }];
      }
    }
    return [{ path: formatJsonPath(path), message: issue.message }];
  });
}

/** Validates an already-parsed value against the policy schema. */
export function validatePolicy(value: unknown): PolicyParseResult {
  const result = policySchema.safeParse(value);
  if (result.success) return { ok: true, policy: result.data };
  return { ok: false, errors: issuesToErrors(result.error.issues as SchemaIssue[]) };
}

/** Parses policy text (JSON) and validates it. */
export function parsePolicy(text: string): PolicyParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      errors: [{ path: "(root)", message: `not valid JSON: ${(error as Error).message}` }],
    };
  }
  return validatePolicy(value);
}

/** The policy format as a JSON Schema document (draft 2020-12), for editors and `$schema`. */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(policySchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
