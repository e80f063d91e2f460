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

  it("count string lengths in code points, as JSON Schema does, for maxLength and minLength", () => {
    const checkOf = (args: object) => {
      const result = loadPolicy(policy(args));
      if (!result.ok) throw new Error("the policy did not load");
      const check = result.policy.rules.get("stop_vm")?.[0]?.checkArgs;
      if (!check) throw new Error("no argument check");
      return check;
    };
    // Three emoji: 3 code points, 6 UTF-16 units.
    const three = "\u{1F600}\u{1F600}\u{1F600}";
    const max = checkOf({ properties: { note: { type: "string", maxLength: 3 } } });
    expect(max({ note: three })).toBeUndefined();
    expect(max({ note: `${three}x` })).toBe("argument note must NOT have more than 3 characters");
    const min = checkOf({ properties: { note: { type: "string", minLength: 4, maxLength: 10 } } });
    expect(min({ note: three })).toBe("argument note must NOT have fewer than 4 characters");
    expect(min({ note: `${three}x` })).toBeUndefined();
  });
});
