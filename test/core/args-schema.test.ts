/** An argument schema that looks strict must be strict: unknown keywords and formats are policy errors. */
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../main/core/policy/compile.js";

const policy = (args: object) =>
  JSON.stringify({ version: "1", default: "deny", tools: { stop_vm: { args } } });

describe("argument schemas", () => {
  it.each([
    [
      "a misspelt keyword",
      { properties: { vm_name: { type: "string", patern: "^test-" } } },
      /unknown keyword: "patern"/,
    ],
    ["an unknown format", { properties: { ip: { format: "nonsense" } } }, /unknown format "nonsense"/],
  ])("refuse %s at tools.stop_vm.args", (_name, args, message) => {
    const result = loadPolicy(policy(args));
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors).toEqual([
        { path: "tools.stop_vm.args", message: expect.stringMatching(message) },
      ]);
  });

  it("check the standard formats", () => {
    const result = loadPolicy(policy({ properties: { ip: { format: "ipv4" } } }));
    if (!result.ok) throw new Error("the policy did not load");
    const check = result.policy.rules.get("stop_vm")?.[0]?.checkArgs;
    expect(check?.({ ip: "evil.example.com; rm -rf /" })).toBe('argument ip must match format "ipv4"');
    expect(check?.({ ip: "10.0.0.1" })).toBeUndefined();
  });
});
