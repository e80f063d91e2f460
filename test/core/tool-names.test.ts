/** Tool names an agent or a server might use to slip past a rule. */
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../main/core/policy/compile.js";
import { decide } from "../../main/core/policy/decide.js";
import { RateLimiter } from "../../main/core/policy/limits.js";

const compiled = loadPolicy(
  JSON.stringify({
    version: "1",
    default: "allow",
    tools: { delete_vm: { action: "deny", reason: "never" }, Stop_VM: { action: "approve" } },
  }),
);
if (!compiled.ok) throw new Error("policy did not load");
const policy = compiled.policy;

function verdict(tool: string, args: Record<string, unknown> = {}) {
  return decide(
    policy,
    { server: "virt", tool, args, grant: "g", session: "s" },
    {
      denyAll: false,
      limits: new RateLimiter(),
      now: 0,
    },
  );
}

describe("tool names that differ only by case", () => {
  it.each(["DELETE_VM", "Delete_Vm", "delete_VM"])("%s gets the rule written for delete_vm", (name) => {
    expect(verdict(name)).toMatchObject({ verdict: "deny", rule: 'tools["delete_vm"]' });
  });

  it("an exact key still wins over a case-folded one", () => {
    expect(verdict("Stop_VM")).toMatchObject({ verdict: "approve", rule: 'tools["Stop_VM"]' });
    expect(verdict("stop_vm")).toMatchObject({ verdict: "approve", rule: 'tools["Stop_VM"]' });
  });

  it("operations are recognised whatever the tool name's case", () => {
    const withOp = loadPolicy(
      JSON.stringify({ version: "1", default: "allow", tools: { stop_vm: { action: "deny" } } }),
    );
    if (!withOp.ok) throw new Error("policy did not load");
    const d = decide(
      withOp.policy,
      { server: "virt", tool: "VM_Management", args: { action: "stop" }, grant: "g", session: "s" },
      { denyAll: false, limits: new RateLimiter(), now: 0 },
    );
    expect(d).toMatchObject({ verdict: "deny", operation: "stop_vm" });
  });
});
