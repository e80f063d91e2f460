/** Replay: how an edited policy would have decided the recorded calls. */
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../main/core/policy/compile.js";
import { replayCalls } from "../../main/core/warden.js";
import type { CallRecord, CallStatus } from "../../shared/contract.js";

function policy(value: object) {
  const compiled = loadPolicy(JSON.stringify({ version: "1", ...value }));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.policy;
}

let n = 0;
function call(tool: string, status: CallStatus, args: Record<string, unknown> = {}, rule = "x"): CallRecord {
  n++;
  return {
    id: `c${n}`,
    ts: 1_000_000 + n * 1_000,
    client: "cli",
    session: "s",
    server: "virt",
    tool,
    args,
    status,
    rule,
    reason: "",
  };
}

describe("replay", () => {
  it("lists exactly the calls whose verdict the edited policy changes", () => {
    const calls = [
      call("list_vms", "allowed"),
      call("stop_vm", "approved", { vm_name: "dev-web" }),
      call("delete_vm", "denied"),
      call("stop_vm", "rejected", { vm_name: "prod-db" }),
    ];
    const edited = policy({
      default: "deny",
      tools: {
        list_vms: { action: "allow" },
        stop_vm: { action: "approve", args: { properties: { vm_name: { pattern: "^dev-" } } } },
      },
    });
    const { changed, total } = replayCalls(edited, calls);
    expect(total).toBe(4);
    expect(changed.map((c) => [c.call.id, c.before, c.after])).toEqual([[calls[3]?.id, "approve", "deny"]]);
    expect(changed[0]?.reason).toContain("vm_name");
  });

  it("plays limits out in order, so a new limit refuses the calls past it", () => {
    const calls = Array.from({ length: 5 }, () => call("stop_vm", "allowed", { vm_name: "dev-web" }));
    const edited = policy({
      default: "deny",
      tools: { stop_vm: { limits: [{ counter: "stops", window: "minute", max: 3 }] } },
    });
    const { changed } = replayCalls(edited, calls);
    expect(changed.map((c) => c.call.id)).toEqual([calls[3]?.id, calls[4]?.id]);
    expect(changed[0]?.rule).toBe('tools["stop_vm"]');
  });

  it("leaves out calls refused by Deny-all", () => {
    const calls = [call("list_vms", "denied", {}, "deny-all")];
    expect(replayCalls(policy({ default: "allow", tools: {} }), calls)).toEqual({ changed: [], total: 0 });
  });
});
