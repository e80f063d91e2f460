/** The app's default approval timeout applies where neither the rule nor the policy sets one. */
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../main/core/policy/compile.js";
import { decide } from "../../main/core/policy/decide.js";
import { RateLimiter } from "../../main/core/policy/limits.js";
import { compileOptions } from "../../main/core/warden.js";

function settings(values: Record<string, unknown>) {
  return { get: (k: string) => values[k], set: () => {} };
}

function timeoutOf(policy: object, values: Record<string, unknown>): number | undefined {
  const compiled = loadPolicy(JSON.stringify({ version: "1", ...policy }), compileOptions(settings(values)));
  if (!compiled.ok) throw new Error("policy did not load");
  return decide(
    compiled.policy,
    { server: "s", tool: "stop_vm", args: {}, grant: "g", session: "s" },
    { denyAll: false, limits: new RateLimiter(), now: 0 },
  ).approvalTimeoutMs;
}

describe("default approval timeout from settings", () => {
  it.each([
    [
      "the setting, when the policy sets none",
      { default: "approve", tools: {} },
      { approvalTimeout: "45s" },
      45_000,
    ],
    ["the built-in 2 minutes without a setting", { default: "approve", tools: {} }, {}, 120_000],
    [
      "the policy's own default over the setting",
      { default: "approve", approval: { timeout: "5m" }, tools: {} },
      { approvalTimeout: "45s" },
      300_000,
    ],
    [
      "the rule's timeout over both",
      { default: "deny", tools: { stop_vm: { action: "approve", approval: { timeout: "10s" } } } },
      { approvalTimeout: "45s" },
      10_000,
    ],
    [
      "the built-in default when the setting is not a duration",
      { default: "approve", tools: {} },
      { approvalTimeout: "soon" },
      120_000,
    ],
    [
      "the built-in default when the setting is over a week",
      { default: "approve", tools: {} },
      { approvalTimeout: "8d" },
      120_000,
    ],
  ])("uses %s", (_name, policy, values, expected) => {
    expect(timeoutOf(policy, values)).toBe(expected);
  });
});
