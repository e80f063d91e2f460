/**
 * The policy engine: loading (validation errors with JSON paths), the decision order in DESIGN.md, limits
 * and their scopes, operations, and the JSON Schema document editors use.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  type CompiledPolicy,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  loadPolicy,
  loadPolicyValue,
} from "../../main/core/policy/compile.js";
import {
  type DecisionWithCounts,
  decide,
  type LimitView,
  operationsOf,
  type PolicyCall,
} from "../../main/core/policy/decide.js";
import { RateLimiter } from "../../main/core/policy/limits.js";
import type { Decision } from "../../shared/contract.js";
import { type PolicyError, type PolicyInput, policyJsonSchema } from "../../shared/policy-schema.js";

/** The seed policy text, verbatim. */
const SEED_POLICY_TEXT = `{ "version": "1", "default": "deny", "tools": { "stop_vm": { "limits": [ { "counter": "stop_vm_rate", "window": "minute", "max": 10, "scope": "grant" } ] } } }`;

/** The example in README's "Policy format" section. */
const README_POLICY: PolicyInput = {
  version: "1",
  default: "deny",
  tools: {
    list_vms: { action: "allow" },
    stop_vm: {
      action: "approve",
      reason: "Stopping a VM takes services offline",
      args: { type: "object", properties: { vm_name: { pattern: "^(dev|test)-" } } },
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" }],
      approval: { timeout: "2m" },
    },
    delete_vm: { action: "deny", reason: "Never from an agent" },
    vm_management: [
      { match: { action: "list" }, action: "allow" },
      {
        match: [{ path: "vm_name", op: "regex", value: "^prod-" }],
        action: "deny",
        reason: "Not production",
      },
      { action: "approve" },
    ],
  },
};

const NO_COUNTS: LimitView = { waitFor: () => 0 };

function compiled(policy: PolicyInput): CompiledPolicy {
  const result = loadPolicyValue(policy);
  if (!result.ok) throw new Error(`policy did not load: ${JSON.stringify(result.errors)}`);
  return result.policy;
}

function errorsOf(result: ReturnType<typeof loadPolicy>): PolicyError[] {
  if (result.ok) throw new Error("expected the policy to be refused");
  return result.errors;
}

function call(tool: string, args: Record<string, unknown> = {}, more: Partial<PolicyCall> = {}): PolicyCall {
  return { server: "virt", tool, args, grant: "alice", session: "s1", ...more };
}

function decideCall(
  policy: CompiledPolicy,
  c: PolicyCall,
  options: { denyAll?: boolean; limits?: LimitView; now?: number } = {},
): DecisionWithCounts {
  return decide(policy, c, {
    denyAll: options.denyAll ?? false,
    limits: options.limits ?? NO_COUNTS,
    now: options.now ?? 1_000_000,
  });
}

describe("the seed policy", () => {
  const loaded = loadPolicy(SEED_POLICY_TEXT);
  if (!loaded.ok) throw new Error(`seed policy did not load: ${JSON.stringify(loaded.errors)}`);
  const seed = loaded.policy;

  it("allows stop_vm under its rule and names the grant-scoped counter to reserve", () => {
    expect(decideCall(seed, call("stop_vm", { vm_name: "dev-1" }))).toEqual({
      verdict: "allow",
      rule: 'tools["stop_vm"]',
      reason: "allowed by policy",
      counterKeys: ["stop_vm_rate\u0000grant:alice"],
      counted: [
        {
          key: "stop_vm_rate\u0000grant:alice",
          limit: {
            counter: "stop_vm_rate",
            window: "minute",
            windowMs: 60_000,
            max: 10,
            scope: "grant",
            team: false,
          },
        },
      ],
    });
  });

  it.each(["delete_vm", "list_vms", "start_vm"])("denies %s through the default", (tool) => {
    expect(decideCall(seed, call(tool))).toMatchObject({
      verdict: "deny",
      rule: "default",
      denial: "rule",
      reason: "no rule allows this tool",
      counterKeys: [],
    });
  });

  it('governs vm_management {action: "stop"} by the stop_vm rule as operation stop_vm', () => {
    expect(decideCall(seed, call("vm_management", { action: "stop", vm_name: "dev-1" }))).toEqual({
      verdict: "allow",
      rule: 'tools["stop_vm"]',
      reason: "allowed by policy",
      operation: "stop_vm",
      counterKeys: ["stop_vm_rate\u0000grant:alice"],
      counted: [
        {
          key: "stop_vm_rate\u0000grant:alice",
          limit: {
            counter: "stop_vm_rate",
            window: "minute",
            windowMs: 60_000,
            max: 10,
            scope: "grant",
            team: false,
          },
        },
      ],
    });
  });

  it('denies vm_management {action: "delete"} through the default, as operation delete_vm', () => {
    expect(decideCall(seed, call("vm_management", { action: "delete", vm_name: "dev-1" }))).toMatchObject({
      verdict: "deny",
      rule: "default",
      denial: "rule",
      operation: "delete_vm",
    });
  });

  it("refuses the 11th stop_vm in a minute (counting vm_management stops too), naming the limit", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 10; i++) {
      const tool = i % 2 ? "stop_vm" : "vm_management";
      const d = decideCall(seed, call(tool, { action: "stop" }), { limits: limiter, now: i * 1_000 });
      expect(d.verdict).toBe("allow");
      limiter.reserve(d.counterKeys, i * 1_000);
    }
    const refused = decideCall(seed, call("stop_vm"), { limits: limiter, now: 15_000 });
    expect(refused).toMatchObject({
      verdict: "deny",
      denial: "limit",
      retryAfterMs: 45_000,
      limit: { counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" },
      reason: 'limit "stop_vm_rate" reached: 10 per minute per grant; frees up in 45s',
    });
    expect(
      decideCall(seed, call("stop_vm", {}, { grant: "bob" }), { limits: limiter, now: 15_000 }).verdict,
    ).toBe("allow");
    expect(decideCall(seed, call("stop_vm"), { limits: limiter, now: 60_000 }).verdict).toBe("allow");
  });
});

interface OrderCase {
  name: string;
  policy: PolicyInput;
  call: PolicyCall;
  denyAll?: boolean;
  expected: Partial<Decision>;
}

const ORDER_CASES: OrderCase[] = [
  {
    name: "deny-all refuses a call an allow rule and an allow default would let through",
    policy: { version: "1", default: "allow", tools: { t: { action: "allow" }, "*": { action: "allow" } } },
    call: call("t"),
    denyAll: true,
    expected: { verdict: "deny", rule: "deny-all", denial: "deny-all" },
  },
  {
    name: "deny-all refuses a call an approve rule would have sent to a human",
    policy: { version: "1", default: "deny", tools: { t: { action: "approve" } } },
    call: call("t"),
    denyAll: true,
    expected: { verdict: "deny", rule: "deny-all", denial: "deny-all" },
  },
  {
    name: "a server/tool rule beats the rule for the tool",
    policy: {
      version: "1",
      default: "allow",
      tools: { "virt/t": { action: "deny", reason: "not on virt" }, t: { action: "allow" } },
    },
    call: call("t"),
    expected: { verdict: "deny", rule: 'tools["virt/t"]', reason: "not on virt", denial: "rule" },
  },
  {
    name: "a server/tool rule does not apply to the same tool on another server",
    policy: {
      version: "1",
      default: "deny",
      tools: { "virt/t": { action: "deny" }, t: { action: "approve" } },
    },
    call: call("t", {}, { server: "other" }),
    expected: { verdict: "approve", rule: 'tools["t"]' },
  },
  {
    name: "a tool rule beats server/*",
    policy: {
      version: "1",
      default: "deny",
      tools: { "virt/*": { action: "deny" }, t: { action: "allow" } },
    },
    call: call("t"),
    expected: { verdict: "allow", rule: 'tools["t"]' },
  },
  {
    name: "server/* beats *",
    policy: {
      version: "1",
      default: "allow",
      tools: { "virt/*": { action: "approve" }, "*": { action: "deny" } },
    },
    call: call("anything"),
    expected: { verdict: "approve", rule: 'tools["virt/*"]' },
  },
  {
    name: "server/* does not apply to another server, which falls to *",
    policy: {
      version: "1",
      default: "allow",
      tools: { "virt/*": { action: "approve" }, "*": { action: "deny" } },
    },
    call: call("anything", {}, { server: "other" }),
    expected: { verdict: "deny", rule: 'tools["*"]', denial: "rule" },
  },
  {
    name: "* beats the default",
    policy: { version: "1", default: "deny", tools: { "*": { action: "allow" } } },
    call: call("anything"),
    expected: { verdict: "allow", rule: 'tools["*"]' },
  },
  {
    name: "an operation rule beats the rule for the whole tool",
    policy: {
      version: "1",
      default: "allow",
      tools: { vm_management: { action: "allow" }, stop_vm: { action: "deny", reason: "no stopping" } },
    },
    call: call("vm_management", { action: "stop" }),
    expected: { verdict: "deny", rule: 'tools["stop_vm"]', reason: "no stopping", operation: "stop_vm" },
  },
  {
    name: "an operation rule beats a server/tool rule",
    policy: {
      version: "1",
      default: "allow",
      tools: { "virt/vm_management": { action: "allow" }, stop_vm: { action: "approve" } },
    },
    call: call("vm_management", { action: "stop" }),
    expected: { verdict: "approve", rule: 'tools["stop_vm"]', operation: "stop_vm" },
  },
  {
    name: "a server/operation rule beats the operation rule",
    policy: {
      version: "1",
      default: "deny",
      tools: { "virt/stop_vm": { action: "allow" }, stop_vm: { action: "deny" } },
    },
    call: call("vm_management", { action: "stop" }),
    expected: { verdict: "allow", rule: 'tools["virt/stop_vm"]', operation: "stop_vm" },
  },
  {
    name: "a call that is no operation of its tool falls to the tool rule",
    policy: {
      version: "1",
      default: "deny",
      tools: { vm_management: { action: "approve" }, stop_vm: { action: "deny" } },
    },
    call: call("vm_management", { action: "frobnicate" }),
    expected: { verdict: "approve", rule: 'tools["vm_management"]' },
  },
  {
    name: "the whole-tool rule reports the operation the call was recognised as",
    policy: { version: "1", default: "deny", tools: { vm_management: { action: "allow" } } },
    call: call("vm_management", { action: "list" }),
    expected: { verdict: "allow", rule: 'tools["vm_management"]', operation: "list_vms" },
  },
  {
    name: "the first matching sub-rule wins",
    policy: {
      version: "1",
      default: "deny",
      tools: {
        t: [
          { match: { mode: "safe" }, action: "allow" },
          { match: { mode: "safe" }, action: "deny" },
        ],
      },
    },
    call: call("t", { mode: "safe" }),
    expected: { verdict: "allow", rule: 'tools["t"][0]' },
  },
  {
    name: "in the README example, vm_management list is governed by the list_vms operation rule",
    policy: README_POLICY,
    call: call("vm_management", { action: "list", vm_name: "prod-db" }),
    expected: { verdict: "allow", rule: 'tools["list_vms"]', operation: "list_vms" },
  },
  {
    name: "in the README example, vm_management stop is checked against stop_vm's argument schema",
    policy: README_POLICY,
    call: call("vm_management", { action: "stop", vm_name: "prod-db" }),
    expected: { verdict: "deny", rule: 'tools["stop_vm"]', denial: "arguments", operation: "stop_vm" },
  },
  {
    name: "the first matching sub-rule wins (condition list match)",
    policy: README_POLICY,
    call: call("vm_management", { action: "frobnicate", vm_name: "prod-db" }),
    expected: {
      verdict: "deny",
      rule: 'tools["vm_management"][1]',
      reason: "Not production",
      denial: "rule",
    },
  },
  {
    name: "a sub-rule without match catches what the earlier ones did not",
    policy: README_POLICY,
    call: call("vm_management", { action: "frobnicate", vm_name: "dev-1" }),
    expected: { verdict: "approve", rule: 'tools["vm_management"][2]' },
  },
  {
    name: "a sub-rule list with no match falls through to the next key",
    policy: {
      version: "1",
      default: "allow",
      tools: {
        "virt/t": [{ match: { mode: "safe" }, action: "allow" }],
        t: { action: "deny", reason: "only safe mode" },
      },
    },
    call: call("t", { mode: "fast" }),
    expected: { verdict: "deny", rule: 'tools["t"]', reason: "only safe mode" },
  },
  {
    name: "a sub-rule list with no match and no later key falls to the default",
    policy: {
      version: "1",
      default: "approve",
      tools: { t: [{ match: { mode: "safe" }, action: "allow" }] },
    },
    call: call("t", { mode: "fast" }),
    expected: { verdict: "approve", rule: "default" },
  },
  {
    name: "a deny rule refuses with its reason",
    policy: {
      version: "1",
      default: "allow",
      tools: { delete_vm: { action: "deny", reason: "Never from an agent" } },
    },
    call: call("delete_vm"),
    expected: { verdict: "deny", rule: 'tools["delete_vm"]', reason: "Never from an agent", denial: "rule" },
  },
  {
    name: "a deny rule without a reason names itself",
    policy: { version: "1", default: "allow", tools: { delete_vm: { action: "deny" } } },
    call: call("delete_vm"),
    expected: { verdict: "deny", reason: 'tools["delete_vm"] denies this tool', denial: "rule" },
  },
  {
    name: "the default refuses with the policy's reason",
    policy: { version: "1", default: "deny", reason: "Ask the admin first" },
    call: call("t"),
    expected: { verdict: "deny", rule: "default", reason: "Ask the admin first", denial: "rule" },
  },
  {
    name: "a rule without an action allows",
    policy: { version: "1", default: "deny", tools: { t: { reason: "read-only tool" } } },
    call: call("t"),
    expected: { verdict: "allow", rule: 'tools["t"]', reason: "read-only tool" },
  },
  {
    name: "a deny rule refuses before its argument schema is looked at",
    policy: {
      version: "1",
      default: "allow",
      tools: { t: { action: "deny", reason: "no", args: { type: "object", required: ["x"] } } },
    },
    call: call("t", {}),
    expected: { verdict: "deny", denial: "rule", reason: "no" },
  },
  {
    name: "an argument-schema violation denies naming the argument and the rule's reason",
    policy: README_POLICY,
    call: call("stop_vm", { vm_name: "prod-db" }),
    expected: {
      verdict: "deny",
      rule: 'tools["stop_vm"]',
      denial: "arguments",
      reason: 'argument vm_name must match pattern "^(dev|test)-" (Stopping a VM takes services offline)',
    },
  },
  {
    name: "an argument-schema violation names a nested argument by its dotted path",
    policy: {
      version: "1",
      default: "deny",
      tools: {
        create_vm: {
          args: {
            type: "object",
            properties: {
              config: { type: "object", properties: { memory_mb: { type: "integer", maximum: 4096 } } },
            },
          },
        },
      },
    },
    call: call("create_vm", { config: { memory_mb: 8192 } }),
    expected: { verdict: "deny", denial: "arguments", reason: "argument config.memory_mb must be <= 4096" },
  },
  {
    name: "a missing required argument is reported against the arguments",
    policy: {
      version: "1",
      default: "deny",
      tools: { t: { args: { type: "object", required: ["vm_name"] } } },
    },
    call: call("t", {}),
    expected: {
      verdict: "deny",
      denial: "arguments",
      reason: "arguments must have required property 'vm_name'",
    },
  },
  {
    name: "an argument not allowed by additionalProperties is named",
    policy: {
      version: "1",
      default: "deny",
      tools: { t: { args: { type: "object", properties: { a: {} }, additionalProperties: false } } },
    },
    call: call("t", { a: 1, force: true }),
    expected: {
      verdict: "deny",
      denial: "arguments",
      reason: "arguments must NOT have additional properties (force)",
    },
  },
  {
    name: "arguments that satisfy the schema go on to the rule's action",
    policy: README_POLICY,
    call: call("stop_vm", { vm_name: "dev-1" }),
    expected: {
      verdict: "approve",
      rule: 'tools["stop_vm"]',
      reason: "Stopping a VM takes services offline",
    },
  },
];

describe("the decision order", () => {
  it.each(ORDER_CASES)("$name", ({ policy, call: c, denyAll, expected }) => {
    expect(decideCall(compiled(policy), c, { denyAll: denyAll ?? false })).toMatchObject(expected);
  });

  it("a denial carries no counter keys, so nothing is reserved for it", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: { t: { action: "deny", limits: [{ counter: "c", window: "minute", max: 5 }] } },
    });
    expect(decideCall(policy, call("t")).counterKeys).toEqual([]);
  });
});

interface ConditionCase {
  op: string;
  value?: unknown;
  args: Record<string, unknown>;
  passes: boolean;
}

const CONDITION_CASES: ConditionCase[] = [
  { op: "eq", value: "dev-1", args: { x: "dev-1" }, passes: true },
  { op: "eq", value: "dev-1", args: { x: "dev-2" }, passes: false },
  { op: "eq", value: 1, args: { x: "1" }, passes: false },
  { op: "eq", value: { a: 1, b: [2] }, args: { x: { b: [2], a: 1 } }, passes: true },
  { op: "neq", value: "prod", args: { x: "dev" }, passes: true },
  { op: "neq", value: "prod", args: { x: "prod" }, passes: false },
  { op: "in", value: ["dev", "test"], args: { x: "test" }, passes: true },
  { op: "in", value: ["dev", "test"], args: { x: "prod" }, passes: false },
  { op: "not_in", value: ["prod", "staging"], args: { x: "dev" }, passes: true },
  { op: "not_in", value: ["prod", "staging"], args: { x: "prod" }, passes: false },
  { op: "lt", value: 10, args: { x: 9 }, passes: true },
  { op: "lt", value: 10, args: { x: 10 }, passes: false },
  { op: "lt", value: 10, args: { x: "9" }, passes: false },
  { op: "lte", value: 10, args: { x: 10 }, passes: true },
  { op: "lte", value: 10, args: { x: 11 }, passes: false },
  { op: "gt", value: 10, args: { x: 11 }, passes: true },
  { op: "gt", value: 10, args: { x: 10 }, passes: false },
  { op: "gte", value: 10, args: { x: 10 }, passes: true },
  { op: "gte", value: 10, args: { x: 9 }, passes: false },
  { op: "regex", value: "^dev-", args: { x: "dev-1" }, passes: true },
  { op: "regex", value: "^dev-", args: { x: "prod-dev-1" }, passes: false },
  { op: "regex", value: "^1", args: { x: 1 }, passes: false },
  { op: "contains", value: "prod", args: { x: "my-prod-vm" }, passes: true },
  { op: "contains", value: "prod", args: { x: "my-dev-vm" }, passes: false },
  { op: "contains", value: "sda", args: { x: ["sdb", "sda"] }, passes: true },
  { op: "contains", value: "sda", args: { x: ["sdb"] }, passes: false },
  { op: "exists", args: { x: 0 }, passes: true },
  { op: "exists", args: { y: 1 }, passes: false },
  { op: "exists", value: true, args: { x: null }, passes: true },
  { op: "exists", value: false, args: { y: 1 }, passes: true },
  { op: "exists", value: false, args: { x: "" }, passes: false },
];

describe("conditions", () => {
  it.each(CONDITION_CASES)("x $op $value on $args passes: $passes", ({ op, value, args, passes }) => {
    const condition = value === undefined ? { path: "x", op } : { path: "x", op, value };
    const policy = compiled({
      version: "1",
      default: "allow",
      tools: { t: { conditions: [condition] } },
    } as PolicyInput);
    const d = decideCall(policy, call("t", args));
    if (passes) expect(d).toMatchObject({ verdict: "allow", rule: 'tools["t"]' });
    else {
      expect(d).toMatchObject({ verdict: "deny", rule: 'tools["t"]', denial: "arguments" });
      expect(d.reason).toMatch(/^condition not met: x /);
    }
  });

  it("a failing condition is described with its path, operator and value, and the rule's reason", () => {
    const policy = compiled({
      version: "1",
      default: "allow",
      tools: {
        t: { reason: "dev VMs only", conditions: [{ path: "vm_name", op: "regex", value: "^dev-" }] },
      },
    });
    expect(decideCall(policy, call("t", { vm_name: "prod-db" })).reason).toBe(
      'condition not met: vm_name regex "^dev-" (dev VMs only)',
    );
  });

  it("every condition must hold: the first that fails is the one reported", () => {
    const policy = compiled({
      version: "1",
      default: "allow",
      tools: {
        t: {
          conditions: [
            { path: "a", op: "eq", value: 1 },
            { path: "b", op: "eq", value: 2 },
          ],
        },
      },
    });
    expect(decideCall(policy, call("t", { a: 1, b: 2 })).verdict).toBe("allow");
    expect(decideCall(policy, call("t", { a: 1, b: 3 })).reason).toBe("condition not met: b eq 2");
    expect(decideCall(policy, call("t", { a: 0, b: 3 })).reason).toBe("condition not met: a eq 1");
  });

  it.each([
    { path: "config.memory_mb", args: { config: { memory_mb: 2048 } }, passes: true },
    { path: "config.memory_mb", args: { config: { memory_mb: 8192 } }, passes: false },
    { path: "config.memory_mb", args: { config: "big" }, passes: false },
    { path: "disks.0", args: { disks: [1024, 9999] }, passes: true },
    { path: "disks.1", args: { disks: [1024, 9999] }, passes: false },
    { path: "disks.2", args: { disks: [1024, 9999] }, passes: false },
  ])("dotted path $path reads into $args (passes: $passes)", ({ path, args, passes }) => {
    const policy = compiled({
      version: "1",
      default: "allow",
      tools: { t: { conditions: [{ path, op: "lte", value: 4096 }] } },
    });
    expect(decideCall(policy, call("t", args)).verdict).toBe(passes ? "allow" : "deny");
  });

  it("a path never reads inherited properties of the arguments", () => {
    const policy = compiled({
      version: "1",
      default: "allow",
      tools: { t: { conditions: [{ path: "constructor", op: "exists", value: false }] } },
    });
    expect(decideCall(policy, call("t", {})).verdict).toBe("allow");
  });
});

describe("limits in decisions", () => {
  const limited = compiled({
    version: "1",
    default: "deny",
    tools: {
      t: { action: "approve", limits: [{ counter: "t_rate", window: "minute", max: 2, scope: "session" }] },
    },
  });

  it("a call past its limit is refused with the counter's name and when a slot frees up", () => {
    const limiter = new RateLimiter();
    limiter.reserve(["t_rate\u0000session:s1"], 0);
    limiter.reserve(["t_rate\u0000session:s1"], 10_000);
    expect(decideCall(limited, call("t"), { limits: limiter, now: 30_000 })).toEqual({
      verdict: "deny",
      rule: 'tools["t"]',
      reason: 'limit "t_rate" reached: 2 per minute per session; frees up in 30s',
      denial: "limit",
      counterKeys: [],
      limit: { counter: "t_rate", window: "minute", max: 2, scope: "session" },
      retryAfterMs: 30_000,
    });
  });

  it("a global limit's refusal does not say per what", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: { t: { limits: [{ counter: "g", window: "30s", max: 0 }] } },
    });
    const d = decideCall(policy, call("t"), { limits: new RateLimiter() });
    expect(d).toMatchObject({
      denial: "limit",
      retryAfterMs: 30_000,
      limit: { scope: "global", window: "30s" },
    });
    expect(d.reason).toBe('limit "g" reached: 0 per 30s; frees up in 30s');
  });

  it("a limit is checked before approval is asked for", () => {
    const limiter = new RateLimiter();
    limiter.reserve(["t_rate\u0000session:s1", "t_rate\u0000session:s1"], 0);
    const d = decideCall(limited, call("t"), { limits: limiter, now: 1 });
    expect(d.verdict).toBe("deny");
    expect(d.approvalTimeoutMs).toBeUndefined();
  });

  interface ScopeCase {
    scope: "grant" | "session" | "server" | "global";
    same: Partial<PolicyCall>;
    different: Partial<PolicyCall> | undefined;
    key: string;
  }
  const SCOPE_CASES: ScopeCase[] = [
    {
      scope: "grant",
      same: { session: "s2", server: "lab" },
      different: { grant: "bob" },
      key: "c\u0000grant:alice",
    },
    {
      scope: "session",
      same: { grant: "bob", server: "lab" },
      different: { session: "s2" },
      key: "c\u0000session:s1",
    },
    {
      scope: "server",
      same: { grant: "bob", session: "s2" },
      different: { server: "lab" },
      key: "c\u0000server:virt",
    },
    {
      scope: "global",
      same: { grant: "bob", session: "s2", server: "lab" },
      different: undefined,
      key: "c\u0000global",
    },
  ];

  it.each(SCOPE_CASES)("scope $scope counts per $scope", ({ scope, same, different, key }) => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: { "*": { limits: [{ counter: "c", window: "minute", max: 1, scope }] } },
    });
    const base = decideCall(policy, call("t"));
    expect(base.counterKeys).toEqual([key]);
    expect(decideCall(policy, call("t", {}, same)).counterKeys).toEqual([key]);
    if (different) expect(decideCall(policy, call("t", {}, different)).counterKeys).not.toEqual([key]);

    const limiter = new RateLimiter();
    limiter.reserve(base.counterKeys, 0);
    expect(decideCall(policy, call("t", {}, same), { limits: limiter, now: 1 }).denial).toBe("limit");
    if (different)
      expect(decideCall(policy, call("t", {}, different), { limits: limiter, now: 1 }).verdict).toBe("allow");
  });

  it("the scope defaults to global", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: { t: { limits: [{ counter: "c", window: "minute", max: 1 }] } },
    });
    expect(decideCall(policy, call("t")).counterKeys).toEqual(["c\u0000global"]);
  });

  it("two rules naming the same counter share it", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: {
        stop_vm: { limits: [{ counter: "vm_power", window: "minute", max: 2 }] },
        start_vm: { action: "approve", limits: [{ counter: "vm_power", window: "minute", max: 2 }] },
      },
    });
    const limiter = new RateLimiter();
    for (const now of [0, 1_000]) {
      const d = decideCall(policy, call("stop_vm"), { limits: limiter, now });
      expect(d.verdict).toBe("allow");
      limiter.reserve(d.counterKeys, now);
    }
    expect(decideCall(policy, call("start_vm"), { limits: limiter, now: 2_000 })).toMatchObject({
      verdict: "deny",
      denial: "limit",
      rule: 'tools["start_vm"]',
      retryAfterMs: 58_000,
      limit: { counter: "vm_power" },
    });
    expect(decideCall(policy, call("start_vm"), { limits: limiter, now: 2_000 }).reason).toContain(
      '"vm_power"',
    );
  });

  it("a rule listing the same counter twice reserves it once and checks both windows", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: {
        t: {
          limits: [
            { counter: "c", window: "minute", max: 3 },
            { counter: "c", window: "hour", max: 4 },
          ],
        },
      },
    });
    const limiter = new RateLimiter();
    const first = decideCall(policy, call("t"), { limits: limiter, now: 0 });
    expect(first.counterKeys).toEqual(["c\u0000global"]);
    for (const now of [0, 1_000, 2_000, 100_000]) limiter.reserve(first.counterKeys, now);
    expect(limiter.count("c\u0000global", 3_600_000, 100_000)).toBe(4);
    expect(decideCall(policy, call("t"), { limits: limiter, now: 100_001 })).toMatchObject({
      denial: "limit",
      limit: { window: "hour", max: 4 },
      retryAfterMs: 3_600_000 - 100_001,
    });
  });

  it("each counter of a rule is reserved, in the order written", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: {
        t: {
          limits: [
            { counter: "a", window: "minute", max: 5, scope: "grant" },
            { counter: "b", window: "day", max: 50 },
          ],
        },
      },
    });
    expect(decideCall(policy, call("t")).counterKeys).toEqual(["a\u0000grant:alice", "b\u0000global"]);
  });

  it("the longest window of any limit is kept as the history the limiter needs", () => {
    const policy = compiled({
      version: "1",
      default: "deny",
      tools: {
        a: { limits: [{ counter: "a", window: "15m", max: 5 }] },
        b: [{ match: { x: 1 }, limits: [{ counter: "b", window: "2h", max: 5 }] }],
      },
    });
    expect(policy.longestWindowMs).toBe(7_200_000);
  });
});

describe("approval timeouts", () => {
  it.each([
    {
      name: "the rule's own timeout",
      policy: {
        version: "1",
        default: "deny",
        tools: { t: { action: "approve", approval: { timeout: "30s" } } },
      },
      ms: 30_000,
    },
    {
      name: "the default when neither the rule nor the policy sets one",
      policy: { version: "1", default: "deny", tools: { t: { action: "approve" } } },
      ms: DEFAULT_APPROVAL_TIMEOUT_MS,
    },
    {
      name: "the policy-level timeout when the rule has none",
      policy: {
        version: "1",
        default: "deny",
        approval: { timeout: "5m" },
        tools: { t: { action: "approve" } },
      },
      ms: 300_000,
    },
    {
      name: "the rule's timeout over the policy-level one",
      policy: {
        version: "1",
        default: "deny",
        approval: { timeout: "5m" },
        tools: { t: { action: "approve", approval: { timeout: "1h" } } },
      },
      ms: 3_600_000,
    },
    {
      name: "the policy-level timeout for a default of approve",
      policy: { version: "1", default: "approve", approval: { timeout: "500ms" } },
      ms: 500,
    },
  ] satisfies { name: string; policy: PolicyInput; ms: number }[])("approve uses $name", ({ policy, ms }) => {
    expect(decideCall(compiled(policy), call("t"))).toMatchObject({
      verdict: "approve",
      approvalTimeoutMs: ms,
    });
  });

  it("the default approval timeout is two minutes", () => {
    expect(DEFAULT_APPROVAL_TIMEOUT_MS).toBe(120_000);
  });

  it("an allow decision carries no approval timeout", () => {
    const policy = compiled({ version: "1", default: "allow", approval: { timeout: "5m" } });
    expect(decideCall(policy, call("t")).approvalTimeoutMs).toBeUndefined();
  });
});

describe("custom operations", () => {
  const policy = compiled({
    version: "1",
    default: "allow",
    operations: {
      wipe_disk: [{ tool: "storage_management", match: { action: "remove_controller" } }],
      reboot: [{ tool: "lab/power", match: { mode: "reboot" } }],
    },
    tools: {
      wipe_disk: { action: "deny", reason: "disks stay" },
      reboot: { action: "approve" },
    },
  });

  it.each([
    {
      name: "a tool call matching an operation is governed by the operation's rule",
      c: call("storage_management", { action: "remove_controller" }),
      expected: { verdict: "deny", rule: 'tools["wipe_disk"]', reason: "disks stay", operation: "wipe_disk" },
    },
    {
      name: "the same tool with other arguments is not the operation",
      c: call("storage_management", { action: "list" }),
      expected: { verdict: "allow", rule: "default" },
    },
    {
      name: "a server/tool target applies on that server",
      c: call("power", { mode: "reboot" }, { server: "lab" }),
      expected: { verdict: "approve", rule: 'tools["reboot"]', operation: "reboot" },
    },
    {
      name: "a server/tool target does not apply on another server",
      c: call("power", { mode: "reboot" }, { server: "prod" }),
      expected: { verdict: "allow", rule: "default" },
    },
  ])("$name", ({ c, expected }) => {
    const d = decideCall(policy, c);
    expect(d).toMatchObject(expected);
    if (!("operation" in expected)) expect(d.operation).toBeUndefined();
  });

  it("the built-in virtualization operations stay available beside custom ones", () => {
    expect(operationsOf(policy, "virt", "proxmox_management", { operation: "shutdown_vm" })).toEqual([
      "stop_vm",
    ]);
    expect(operationsOf(policy, "virt", "hyperv_management", { action: "stop" })).toEqual(["stop_vm"]);
  });

  it("an operation target without match covers every call of the tool", () => {
    const p = compiled({
      version: "1",
      default: "deny",
      operations: { read_only: [{ tool: "search" }] },
      tools: { read_only: { action: "allow" } },
    });
    expect(decideCall(p, call("search", { q: "x" }))).toMatchObject({
      verdict: "allow",
      operation: "read_only",
    });
  });

  // decide.ts documents operationsOf as "most specific (server-qualified routes) first", but the routes
  // come back in the order the policy lists them, so a rule for a generic operation beats a rule for one
  // that only this server performs.
  it("a server-qualified operation is tried before a generic one for the same tool", () => {
    const p = compiled({
      version: "1",
      default: "deny",
      operations: { any_power: [{ tool: "power" }], lab_power: [{ tool: "lab/power" }] },
      tools: { any_power: { action: "deny", reason: "generic" }, lab_power: { action: "allow" } },
    });
    expect(operationsOf(p, "lab", "power", {})).toEqual(["lab_power", "any_power"]);
    expect(decideCall(p, call("power", {}, { server: "lab" }))).toMatchObject({
      verdict: "allow",
      rule: 'tools["lab_power"]',
    });
  });
});

interface ErrorCase {
  name: string;
  policy: unknown;
  path: string;
  message: string | RegExp;
}

const base = { version: "1", default: "deny" };

const ERROR_CASES: ErrorCase[] = [
  {
    name: "a bad default",
    policy: { ...base, default: "maybe" },
    path: "default",
    message: 'Invalid option: expected one of "allow"|"deny"|"approve"',
  },
  {
    name: "a version other than 1",
    policy: { ...base, version: "2" },
    path: "version",
    message: /expected "1"/,
  },
  {
    name: "a window that is neither named nor a duration",
    policy: { ...base, tools: { stop_vm: { limits: [{ counter: "c", window: "fortnight", max: 1 }] } } },
    path: "tools.stop_vm.limits[0].window",
    message: 'expected a duration such as "30s", "15m", "2h" or "1d"',
  },
  {
    name: "a negative max",
    policy: { ...base, tools: { stop_vm: { limits: [{ counter: "c", window: "minute", max: -1 }] } } },
    path: "tools.stop_vm.limits[0].max",
    message: /expected number to be >=0/,
  },
  {
    name: "a zero duration",
    policy: { ...base, tools: { t: { limits: [{ counter: "c", window: "0s", max: 1 }] } } },
    path: "tools.t.limits[0].window",
    message: /expected a duration/,
  },
  {
    name: "an unknown key in a rule (typo acton)",
    policy: { ...base, tools: { stop_vm: { acton: "deny" } } },
    path: "tools.stop_vm",
    message: 'Unrecognized key: "acton"',
  },
  {
    name: "an unknown key in a sub-rule",
    policy: { ...base, tools: { stop_vm: [{ action: "allow" }, { acton: "deny" }] } },
    path: "tools.stop_vm[1]",
    message: 'Unrecognized key: "acton"',
  },
  {
    name: "an unknown key at the top",
    policy: { ...base, defualt: "allow" },
    path: "(root)",
    message: 'Unrecognized key: "defualt"',
  },
  {
    name: "a regex condition with an invalid pattern, under a key that is not an identifier",
    policy: { ...base, tools: { "a/b": { conditions: [{ path: "x", op: "regex", value: "(" }] } } },
    path: 'tools["a/b"].conditions[0].value',
    message: "regex needs a valid regular expression string",
  },
  {
    name: "a regex match condition in a sub-rule with an invalid pattern",
    policy: { ...base, tools: { t: [{ match: [{ path: "x", op: "regex", value: "[" }] }] } },
    path: "tools.t[0].match[0].value",
    message: "regex needs a valid regular expression string",
  },
  {
    name: "in without an array",
    policy: { ...base, tools: { t: { conditions: [{ path: "x", op: "in", value: "dev" }] } } },
    path: "tools.t.conditions[0].value",
    message: "in needs an array value",
  },
  {
    name: "not_in without an array",
    policy: { ...base, tools: { t: { conditions: [{ path: "x", op: "not_in", value: 3 }] } } },
    path: "tools.t.conditions[0].value",
    message: "not_in needs an array value",
  },
  {
    name: "lt with a string",
    policy: { ...base, tools: { t: { conditions: [{ path: "x", op: "lt", value: "3" }] } } },
    path: "tools.t.conditions[0].value",
    message: "lt needs a number value",
  },
  {
    name: "exists with a string",
    policy: { ...base, tools: { t: { conditions: [{ path: "x", op: "exists", value: "yes" }] } } },
    path: "tools.t.conditions[0].value",
    message: "exists takes true, false or no value",
  },
  {
    name: "eq without a value",
    policy: { ...base, tools: { t: { conditions: [{ path: "x", op: "eq" }] } } },
    path: "tools.t.conditions[0].value",
    message: "eq needs a value",
  },
  {
    name: "a bad policy-level approval timeout",
    policy: { ...base, approval: { timeout: "soon" } },
    path: "approval.timeout",
    message: /expected a duration/,
  },
  {
    name: "a bad rule approval timeout",
    policy: { ...base, tools: { t: { action: "approve", approval: { timeout: "2 minutes" } } } },
    path: "tools.t.approval.timeout",
    message: /expected a duration/,
  },
  {
    name: "an operation target with an empty tool",
    policy: { ...base, operations: { wipe: [{ tool: "" }] } },
    path: "operations.wipe[0].tool",
    message: /expected string to have >=1 characters/,
  },
  {
    name: "an empty sub-rule list",
    policy: { ...base, tools: { t: [] } },
    path: "tools.t",
    message: /expected array to have >=1 items/,
  },
  {
    name: "an args schema Ajv rejects",
    policy: { ...base, tools: { x: { args: { type: 12 } } } },
    path: "tools.x.args",
    message: /^invalid JSON Schema: schema is invalid: data\/type must be equal to one of the allowed values/,
  },
  {
    name: "an args schema Ajv rejects, in a sub-rule",
    policy: { ...base, tools: { x: [{ args: { type: "object", required: "vm_name" } }] } },
    path: "tools.x[0].args",
    message: /^invalid JSON Schema: schema is invalid: data\/required must be array/,
  },
];

describe("policy validation", () => {
  it.each(ERROR_CASES)("$name is reported at $path", ({ policy, path, message }) => {
    const errors = errorsOf(loadPolicyValue(policy));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toMatch(message);
  });

  it("text that is not JSON is reported at the root", () => {
    const errors = errorsOf(loadPolicy('{ "version": "1", '));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe("(root)");
    expect(errors[0]?.message).toMatch(/^not valid JSON: /);
  });

  it("every error in a file is reported, each at its own path", () => {
    const errors = errorsOf(
      loadPolicy(
        JSON.stringify({
          version: "1",
          default: "sometimes",
          tools: { stop_vm: { limits: [{ counter: "c", window: "fortnight", max: -2 }] } },
        }),
      ),
    );
    expect(errors.map((e) => e.path).sort()).toEqual([
      "default",
      "tools.stop_vm.limits[0].max",
      "tools.stop_vm.limits[0].window",
    ]);
  });

  it("comment fields are accepted anywhere the README says", () => {
    const result = loadPolicyValue({
      version: "1",
      default: "deny",
      comment: "top",
      tools: {
        t: {
          comment: "rule",
          limits: [{ counter: "c", window: "minute", max: 1, comment: "limit" }],
        },
        u: [{ comment: "sub-rule", action: "allow" }],
      },
    });
    expect(result.ok).toBe(true);
  });

  it("the README example loads", () => {
    expect(loadPolicyValue(README_POLICY).ok).toBe(true);
  });

  // A value of the wrong kind inside a rule makes both branches of the rule-or-sub-rule-list union fail,
  // and validatePolicy reports zod's bare invalid_union issue: path `tools.t`, message "Invalid input",
  // instead of the field that is wrong (DESIGN: "show each error with its JSON path").
  it.each([
    { name: "a misspelt action", rule: { action: "alow" }, path: "tools.t.action" },
    {
      name: "an unknown limit scope",
      rule: { limits: [{ counter: "c", window: "minute", max: 1, scope: "user" }] },
      path: "tools.t.limits[0].scope",
    },
    {
      name: "a fractional max",
      rule: { limits: [{ counter: "c", window: "minute", max: 1.5 }] },
      path: "tools.t.limits[0].max",
    },
    {
      name: "an unknown condition operator",
      rule: { conditions: [{ path: "x", op: "equals", value: 1 }] },
      path: "tools.t.conditions[0].op",
    },
  ])("$name inside a rule is reported at $path", ({ rule, path }) => {
    const errors = errorsOf(loadPolicyValue({ ...base, tools: { t: rule } }));
    expect(errors.map((e) => e.path)).toEqual([path]);
  });

  // compile.ts keeps one module-level Ajv instance; ajv.compile registers every schema `$id`, so the same
  // policy text loaded a second time (a reload of an unchanged or edited file) is refused with
  // 'schema with key or id "vm-args" already exists'.
  it("a policy whose args schema has an $id loads again (as on a reload)", () => {
    const text = JSON.stringify({
      ...base,
      tools: { stop_vm: { args: { $id: "vm-args", type: "object", required: ["vm_name"] } } },
    });
    expect(loadPolicy(text).ok).toBe(true);
    expect(loadPolicy(text).ok).toBe(true);
  });
});

describe("the policy JSON Schema document", () => {
  const schema = policyJsonSchema();
  const validate = new Ajv2020({ strict: false }).compile(schema);

  it("is a draft 2020-12 object schema with the policy's top-level properties", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties as Record<string, unknown>)).toEqual(
      expect.arrayContaining(["version", "default", "tools", "operations", "approval", "reason"]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(["version", "default"]));
  });

  it.each([
    { name: "the seed policy", doc: JSON.parse(SEED_POLICY_TEXT) as unknown, valid: true },
    { name: "the README example", doc: README_POLICY, valid: true },
    { name: "a bad default", doc: { version: "1", default: "maybe" }, valid: false },
    { name: "a missing default", doc: { version: "1" }, valid: false },
    { name: "a typo acton", doc: { ...base, tools: { stop_vm: { acton: "deny" } } }, valid: false },
    {
      name: "a negative max",
      doc: { ...base, tools: { t: { limits: [{ counter: "c", window: "minute", max: -1 }] } } },
      valid: false,
    },
    {
      name: "a bad window",
      doc: { ...base, tools: { t: { limits: [{ counter: "c", window: "fortnight", max: 1 }] } } },
      valid: false,
    },
  ])("the document and the runtime validator agree on $name (valid: $valid)", ({ doc, valid }) => {
    expect(validate(doc)).toBe(valid);
    expect(loadPolicyValue(doc).ok).toBe(valid);
  });
});
