/**
 * The policy decides resource reads, prompts and completions as it decides tool calls: rules keyed by
 * URI pattern and prompt name, the same actions, argument rules and limits, and `default` for the rest.
 */
import { describe, expect, it } from "vitest";
import { type CompiledPolicy, loadPolicyValue } from "../../main/core/policy/compile.js";
import { decide, type GovernedRequest } from "../../main/core/policy/decide.js";
import { RateLimiter } from "../../main/core/policy/limits.js";
import type { PolicyInput } from "../../shared/policy-schema.js";

function compiled(policy: PolicyInput): CompiledPolicy {
  const result = loadPolicyValue(policy);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const POLICY = compiled({
  version: "1",
  default: "deny",
  tools: {},
  resources: {
    "fs/file:///home/*": { action: "allow" },
    "file:///etc/*": { action: "deny", reason: "system files stay private" },
    "demo://*": {
      action: "allow",
      limits: [{ counter: "reads", window: "minute", max: 2, scope: "grant" }],
    },
  },
  prompts: {
    "virt/cleanup": { action: "approve", reason: "cleanup prompts suggest destructive steps" },
    summarize: { action: "allow" },
    "*": { action: "deny", reason: "unknown prompts are not used here" },
  },
});

function verdict(method: GovernedRequest, args: Record<string, unknown>, server = "fs", policy = POLICY) {
  return decide(
    policy,
    { server, tool: method, method, args, grant: "g", session: "s" },
    { denyAll: false, limits: new RateLimiter(), now: 0 },
  );
}

describe("resources/read", () => {
  it.each([
    [
      "a URI under a server-qualified pattern, on that server",
      "fs",
      "file:///home/ada/notes.txt",
      "allow",
      'resources["fs/file:///home/*"]',
    ],
    [
      "the same URI on another server (no plain rule matches it)",
      "other",
      "file:///home/ada/notes.txt",
      "deny",
      "default",
    ],
    ["a URI a plain pattern denies", "fs", "file:///etc/shadow", "deny", 'resources["file:///etc/*"]'],
    ["a URI no pattern names", "fs", "https://example.com/", "deny", "default"],
  ])("%s", (_what, server, uri, expected, rule) => {
    const d = verdict("resources/read", { uri }, server);
    expect(d.verdict).toBe(expected);
    expect(d.rule).toBe(rule);
  });

  it("a deny gives the rule's reason, the default names what no rule allows", () => {
    expect(verdict("resources/read", { uri: "file:///etc/shadow" }).reason).toBe("system files stay private");
    expect(verdict("resources/read", { uri: "https://example.com/" }).reason).toBe(
      "no rule allows this resource",
    );
  });

  it("a pattern's * matches any characters, and regex characters in it are literal", () => {
    const p = compiled({ version: "1", default: "deny", resources: { "a.b://x?(*)": { action: "allow" } } });
    expect(verdict("resources/read", { uri: "a.b://x?(anything/at/all)" }, "s", p).verdict).toBe("allow");
    expect(verdict("resources/read", { uri: "aXb://x?(1)" }, "s", p).verdict).toBe("deny");
  });

  it("limits count reads like calls", () => {
    const limits = new RateLimiter();
    const read = () =>
      decide(
        POLICY,
        {
          server: "demo",
          tool: "resources/read",
          method: "resources/read",
          args: { uri: "demo://1" },
          grant: "g",
          session: "s",
        },
        { denyAll: false, limits, now: 0 },
      );
    for (let i = 0; i < 2; i++) limits.reserve(read().counterKeys, 0);
    expect(read()).toMatchObject({ verdict: "deny", denial: "limit" });
  });
});

describe("prompts/get and completion/complete", () => {
  it.each([
    ["a server-qualified prompt rule", "virt", "cleanup", "approve", 'prompts["virt/cleanup"]'],
    ["a plain prompt rule", "virt", "summarize", "allow", 'prompts["summarize"]'],
    ["the wildcard", "virt", "something-else", "deny", 'prompts["*"]'],
  ])("%s", (_what, server, name, expected, rule) => {
    const d = verdict("prompts/get", { name, arguments: {} }, server);
    expect(d).toMatchObject({ verdict: expected, rule });
  });

  it("a completion is decided as the prompt or resource it completes", () => {
    expect(
      verdict(
        "completion/complete",
        { ref: { type: "ref/prompt", name: "summarize" }, argument: { name: "a", value: "" } },
        "virt",
      ),
    ).toMatchObject({ verdict: "allow", rule: 'prompts["summarize"]' });
    expect(
      verdict("completion/complete", {
        ref: { type: "ref/resource", uri: "file:///etc/*" },
        argument: { name: "a", value: "" },
      }),
    ).toMatchObject({ verdict: "deny", rule: 'resources["file:///etc/*"]' });
  });

  it("a completion for what needs a human is refused, never put to one", () => {
    const d = verdict("completion/complete", { ref: { type: "ref/prompt", name: "cleanup" } }, "virt");
    expect(d).toMatchObject({ verdict: "deny", rule: 'prompts["virt/cleanup"]' });
    expect(d.reason).toContain("completions are refused");
  });

  it("the seed policy (default deny, tools only) refuses them by default, and Deny-all refuses them too", () => {
    const seed = compiled({ version: "1", default: "deny", tools: { stop_vm: { limits: [] } } });
    expect(verdict("prompts/get", { name: "x" }, "s", seed)).toMatchObject({
      verdict: "deny",
      rule: "default",
    });
    const d = decide(
      POLICY,
      {
        server: "fs",
        tool: "resources/read",
        method: "resources/read",
        args: { uri: "file:///home/a" },
        grant: "g",
        session: "s",
      },
      { denyAll: true, limits: new RateLimiter(), now: 0 },
    );
    expect(d).toMatchObject({ verdict: "deny", rule: "deny-all" });
  });

  it("a bad rule in the new sections is an error at its JSON path", () => {
    const result = loadPolicyValue({ version: "1", default: "deny", prompts: { x: { action: "maybe" } } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toBe("prompts.x.action");
  });
});

describe("a tool's standing is part of the decision", () => {
  const policy = compiled({ version: "1", default: "allow", tools: {} });
  const at = (standing: "held" | "unknown" | undefined, denyAll = false) =>
    decide(
      policy,
      { server: "virt", tool: "vm_console", args: {}, grant: "g", session: "s" },
      { denyAll, limits: new RateLimiter(), now: 0, tools: () => standing },
    );

  it.each([
    ["held back until accepted", "held", "new or has changed since it was accepted"],
    ["not offered by its server", "unknown", 'does not offer a tool named "vm_console"'],
  ] as const)("a tool %s is refused by tool pinning, whatever the policy", (_what, standing, reason) => {
    expect(at(standing)).toMatchObject({ verdict: "deny", rule: "tool-pinning" });
    expect(at(standing).reason).toContain(reason);
  });

  it("Deny-all comes first, and a tool in good standing goes on to the rules", () => {
    expect(at("held", true).rule).toBe("deny-all");
    expect(at(undefined)).toMatchObject({ verdict: "allow", rule: "default" });
  });
});
