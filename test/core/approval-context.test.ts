/**
 * What a pending approval carries besides the call: the risk of the action its arguments pick, the
 * arguments it acts on, and each of its limits with this call counted (earlier waiting calls included,
 * since their slots are taken when they are decided).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Warden } from "../../main/core/warden.js";
import { limitLine } from "../../shared/approval-text.js";
import { tempDir } from "../helpers/warden.js";

/** No upstream is reached in this test: a call that got through would fail here. */
const forward = () => Promise.reject(new Error("no upstream in this test"));

const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    stop_vm: {
      action: "approve",
      limits: [
        { counter: "stops", window: "minute", max: 10, scope: "grant" },
        { counter: "all_stops", window: "hour", max: 50, scope: "global" },
      ],
    },
  },
};

let warden: Warden;
beforeAll(async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "policy.json"), JSON.stringify(POLICY));
  const store = new Map<string, unknown>();
  warden = await Warden.start({
    policyPath: join(dir, "policy.json"),
    auditPath: join(dir, "audit.jsonl"),
    settings: { get: (k) => store.get(k), set: (k, v) => store.set(k, v) },
    servers: { mcpServers: {} },
  });
});
afterAll(async () => {
  await warden.close();
});

function stop(grant: string, vmid: string) {
  return warden
    .handleCall({
      server: "virt",
      tool: "proxmox_management",
      args: { operation: "stop_vm", vmid, name: "dev-scratch" },
      grant,
      session: "s",
      forward,
    })
    .catch(() => undefined);
}

describe("a pending approval's context", () => {
  it("names the target from the catalogue and counts the call under each limit", async () => {
    const calls = [stop("claude-desktop", "100"), stop("claude-desktop", "101"), stop("cursor", "102")];
    const [first, , third] = warden.broker.list();
    const pending = warden.broker.list();
    expect(pending.map((p) => p.targets)).toEqual([
      [{ argument: "vmid", value: "100" }],
      [{ argument: "vmid", value: "101" }],
      [{ argument: "vmid", value: "102" }],
    ]);
    expect(pending.map((p) => p.risk?.effect)).toEqual(Array(3).fill("Stop Proxmox VM {vmid}"));
    expect(pending.map((p) => p.limits?.map((l) => `${l.counter} ${l.used}/${l.max}`))).toEqual([
      ["stops 1/10", "all_stops 1/50"],
      ["stops 2/10", "all_stops 2/50"],
      ["stops 1/10", "all_stops 3/50"],
    ]);
    expect(first && limitLine(first)).toBe(
      "1st stop_vm from claude-desktop in the last minute; 9 left of 10",
    );
    expect(third && limitLine(third)).toBe("1st stop_vm from cursor in the last minute; 9 left of 10");

    // A denied call gives its slots back: the next one is counted as the second again.
    if (first) warden.broker.deny(first.id);
    await calls[0];
    const again = stop("claude-desktop", "103");
    const latest = warden.broker.list().at(-1);
    expect(latest?.limits?.[0]?.used).toBe(2);
    warden.broker.denyAll();
    await Promise.all([...calls, again]);
  });
});
