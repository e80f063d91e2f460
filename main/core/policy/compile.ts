/**
 * Compiles a validated policy once into lookup tables and predicates, so `decide()` does no parsing,
 * no schema compilation and no regex building per call.
 */
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsPlugin from "ajv-formats";
import { durationMs, windowMs } from "../../../shared/durations.js";
import {
  type Action,
  formatJsonPath,
  type OperationTarget,
  type Policy,
  type PolicyError,
  type PolicyParseResult,
  parsePolicy,
  type Rule,
  type Scope,
  type SubRule,
  validatePolicy,
} from "../../../shared/policy-schema.js";
import { type CompiledCondition, compileCondition, compileMatch } from "./conditions.js";
import { VIRTUALIZATION_OPERATIONS } from "./operations.js";

// ajv-formats is CommonJS: its default export arrives as the module object under nodenext.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

/** Approval wait when neither the rule nor the policy sets one. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 120_000;

/** A compiled rate limit. */
export interface CompiledLimit {
  counter: string;
  window: string;
  windowMs: number;
  max: number;
  scope: Scope;
  /** Counted on the team's Redis rather than here. */
  team: boolean;
}

/** A compiled rule (or sub-rule). */
export interface CompiledRule {
  /** How messages name it: `tools["stop_vm"]` or `tools["vm_management"][0]`. */
  label: string;
  action: Action;
  reason: string | undefined;
  /** Returns the first argument-schema violation, or undefined when the arguments pass. */
  checkArgs: ((args: unknown) => string | undefined) | undefined;
  conditions: readonly CompiledCondition[];
  limits: readonly CompiledLimit[];
  approvalTimeoutMs: number;
  /** Offered to the team; `others`: someone other than the requesting member must answer. */
  teamApproval: { others: boolean } | undefined;
  matches: (args: unknown) => boolean;
}

/** One way a tool call can be an operation. */
export interface OperationRoute {
  operation: string;
  server: string | undefined;
  matches: (args: unknown) => boolean;
}

/** A policy ready for `decide()`. */
export interface CompiledPolicy {
  source: Policy;
  defaultRule: CompiledRule;
  /** Rules by key ("server/tool", "tool", operation, "server/*", "*"); each a list tried in order. */
  rules: ReadonlyMap<string, readonly CompiledRule[]>;
  /** The same rules by lower-cased key: a tool named `Stop_VM` is governed by the rule for `stop_vm`. */
  foldedRules: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Operation routes by lower-cased tool name. */
  routes: ReadonlyMap<string, readonly OperationRoute[]>;
  /** Rules for resources/read: URI patterns, server-qualified ones first, each in the order written. */
  resourceRules: readonly ResourceRule[];
  /** Rules for prompts/get by key ("server/prompt", "prompt", "server/*", "*"). */
  promptRules: ReadonlyMap<string, readonly CompiledRule[]>;
  /** The longest window any limit uses: how long counter history must be kept. */
  longestWindowMs: number;
}

/** The rules for resources whose URI matches a pattern (on one server, or any). */
export interface ResourceRule {
  server: string | undefined;
  pattern: RegExp;
  rules: readonly CompiledRule[];
}

/** A server name as the servers file allows it: the part before the first "/" of a qualified key. */
const SERVER_NAME = /^[A-Za-z0-9_.-]+$/;

/** A URI pattern (`*` matches any run of characters) as an anchored regular expression. */
function uriPattern(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "su");
}

export type CompileResult = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyError[] };

/** Settings that shape a compiled policy without being part of it. */
export interface CompileOptions {
  /** Approval wait for rules that set none when the policy sets none either (the app's setting). */
  defaultApprovalTimeoutMs?: number;
}

/** A policy's two validators: `exact` counts string lengths in code points, as JSON Schema says. */
interface Validators {
  exact: Ajv;
  /** Counts them in UTF-16 units (`.length`): never fewer than code points, and no walk over the string. */
  quick: Ajv;
}

/**
 * A schema the quick validator may answer "valid" for: no `minLength` (a string of astral characters is
 * longer in units than in code points, so it could pass a minimum it fails) and no `$ref` (whose target
 * could hold one). A maximum it meets in units it meets in code points, so its "valid" is the exact answer;
 * its "invalid" is always checked again by the exact validator.
 */
function quickValidator(ajv: Ajv, schema: Record<string, unknown>): ValidateFunction | undefined {
  const text = JSON.stringify(schema);
  if (!text.includes('"maxLength"') || text.includes('"minLength"') || text.includes('"$ref"'))
    return undefined;
  try {
    return ajv.compile(schema);
  } catch {
    return undefined;
  }
}

function compileArgsSchema(
  validators: Validators,
  schema: Record<string, unknown>,
  path: (string | number)[],
  errors: PolicyError[],
): CompiledRule["checkArgs"] {
  let validate: ValidateFunction;
  try {
    validate = validators.exact.compile(schema);
  } catch (error) {
    errors.push({ path: formatJsonPath(path), message: `invalid JSON Schema: ${(error as Error).message}` });
    return undefined;
  }
  const quick = quickValidator(validators.quick, schema);
  return (args) => {
    if (quick?.(args) || validate(args)) return undefined;
    const e = validate.errors?.[0];
    if (!e) return "arguments do not match the rule's schema";
    const where = e.instancePath ? `argument ${e.instancePath.slice(1).replaceAll("/", ".")}` : "arguments";
    const extra = e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : "";
    return `${where} ${e.message ?? "is invalid"}${extra}`;
  };
}

function compileRule(
  ajv: Validators,
  rule: Rule | SubRule,
  label: string,
  path: (string | number)[],
  policy: Policy,
  errors: PolicyError[],
  fallbackTimeoutMs: number,
): CompiledRule {
  const limits = (rule.limits ?? []).map((l) => ({
    counter: l.counter,
    window: l.window,
    windowMs: windowMs(l.window),
    max: l.max,
    scope: l.scope,
    team: l.team === true,
  }));
  const timeout = rule.approval?.timeout ?? policy.approval?.timeout;
  return {
    label,
    action: rule.action ?? "allow",
    reason: rule.reason,
    checkArgs: rule.args ? compileArgsSchema(ajv, rule.args, [...path, "args"], errors) : undefined,
    conditions: (rule.conditions ?? []).map(compileCondition),
    limits,
    approvalTimeoutMs: timeout ? durationMs(timeout) : fallbackTimeoutMs,
    teamApproval: rule.approval?.team ? { others: rule.approval.others === true } : undefined,
    matches: compileMatch("match" in rule ? rule.match : undefined),
  };
}

function splitServer(name: string): { server: string | undefined; tool: string } {
  const slash = name.indexOf("/");
  return slash > 0
    ? { server: name.slice(0, slash), tool: name.slice(slash + 1) }
    : { server: undefined, tool: name };
}

/** Compiles a validated policy; errors come only from argument schemas a standard validator rejects. */
export function compilePolicy(policy: Policy, options: CompileOptions = {}): CompileResult {
  const errors: PolicyError[] = [];
  const fallbackTimeoutMs = options.defaultApprovalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  // One validator per policy: its schema cache (and any `$id`s) lives and dies with this policy.
  // Strict about the schema itself: an unknown keyword (a typo such as "patern") or an unknown format is
  // an error in the policy, never a check that silently passes everything.
  const strictness = {
    allErrors: false,
    validateSchema: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  } as const;
  const ajv: Validators = {
    exact: new Ajv(strictness),
    // Ajv calls the option deprecated (its default counts code points) and says so on every construction.
    quick: new Ajv({ ...strictness, unicode: false, logger: { log() {}, warn() {}, error: console.error } }),
  };
  addFormats(ajv.exact);
  addFormats(ajv.quick);
  const rules = new Map<string, CompiledRule[]>();
  let longestWindowMs = 0;
  /** Compiles one section's rule or list of sub-rules. */
  const compileEntry = (section: string, key: string, entry: Rule | SubRule[]): CompiledRule[] => {
    const label = `${section}[${JSON.stringify(key)}]`;
    const list = Array.isArray(entry)
      ? entry.map((r, i) =>
          compileRule(ajv, r, `${label}[${i}]`, [section, key, i], policy, errors, fallbackTimeoutMs),
        )
      : [compileRule(ajv, entry, label, [section, key], policy, errors, fallbackTimeoutMs)];
    for (const r of list) for (const l of r.limits) longestWindowMs = Math.max(longestWindowMs, l.windowMs);
    return list;
  };
  for (const [key, entry] of Object.entries(policy.tools)) rules.set(key, compileEntry("tools", key, entry));
  const qualified: ResourceRule[] = [];
  const plain: ResourceRule[] = [];
  for (const [key, entry] of Object.entries(policy.resources ?? {})) {
    const slash = key.indexOf("/");
    const server = slash > 0 && SERVER_NAME.test(key.slice(0, slash)) ? key.slice(0, slash) : undefined;
    const rule = {
      server,
      pattern: uriPattern(server ? key.slice(slash + 1) : key),
      rules: compileEntry("resources", key, entry),
    };
    (server ? qualified : plain).push(rule);
  }
  const promptRules = new Map<string, CompiledRule[]>();
  for (const [key, entry] of Object.entries(policy.prompts ?? {}))
    promptRules.set(key, compileEntry("prompts", key, entry));

  const routes = new Map<string, OperationRoute[]>();
  const addRoutes = (operation: string, targets: readonly OperationTarget[]) => {
    for (const target of targets) {
      const { server, tool } = splitServer(target.tool);
      const list = routes.get(tool.toLowerCase()) ?? [];
      list.push({ operation, server, matches: compileMatch(target.match) });
      routes.set(tool.toLowerCase(), list);
    }
  };
  for (const [op, targets] of Object.entries(policy.operations ?? {})) addRoutes(op, targets);
  for (const [op, targets] of Object.entries(VIRTUALIZATION_OPERATIONS)) addRoutes(op, targets);

  const defaultRule = compileRule(
    ajv,
    { action: policy.default, reason: policy.reason ?? "no rule allows this tool" },
    "default",
    ["default"],
    policy,
    errors,
    fallbackTimeoutMs,
  );
  if (errors.length) return { ok: false, errors };
  const foldedRules = new Map<string, CompiledRule[]>();
  for (const [key, list] of rules)
    if (!foldedRules.has(key.toLowerCase())) foldedRules.set(key.toLowerCase(), list);
  return {
    ok: true,
    policy: {
      source: policy,
      defaultRule,
      rules,
      foldedRules,
      routes,
      resourceRules: [...qualified, ...plain],
      promptRules,
      longestWindowMs,
    },
  };
}

/**
 * The rules under a key: exactly as written, else by the key's lower case — a tool whose name differs
 * from a rule's only by case gets that rule, so case cannot slip a call past it.
 */
export function rulesFor(policy: CompiledPolicy, key: string): readonly CompiledRule[] | undefined {
  return policy.rules.get(key) ?? policy.foldedRules.get(key.toLowerCase());
}

/** The operation routes of a tool name, whatever its case. */
export function routesFor(policy: CompiledPolicy, tool: string): readonly OperationRoute[] {
  return policy.routes.get(tool.toLowerCase()) ?? [];
}

/** Parses, validates and compiles policy text: the one way a policy enters the running proxy. */
export function loadPolicy(text: string, options?: CompileOptions): CompileResult {
  const parsed: PolicyParseResult = parsePolicy(text);
  return parsed.ok ? compilePolicy(parsed.policy, options) : parsed;
}

/** Validates and compiles an already-parsed policy value. */
export function loadPolicyValue(value: unknown, options?: CompileOptions): CompileResult {
  const parsed = validatePolicy(value);
  return parsed.ok ? compilePolicy(parsed.policy, options) : parsed;
}
