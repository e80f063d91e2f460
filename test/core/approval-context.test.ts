/**
 * What a pending approval carries besides the call: the risk of the action its arguments pick, the
 * arguments it acts on, and each of its limits with this call counted (earlier waiting calls included,
 * since their slots are taken when they are decided).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Warden } from "../../main/core/warden.js";
import { contextLine } from "../../shared/approval-text.js";
import { tempDir } from "../helpers/warden.js";

/** No upstream is reached in this test: a call that got through would fail here. */
const forward = () => Promise.reject(new Error("no upstream in this test"));

const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    restart_vm: { action: "approve" },
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
/** The warden's clock: the tests move it on. */
let clock = Date.now();
beforeAll(async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "policy.json"), JSON.stringify(POLICY));
  const store = new Map<string, unknown>();
  warden = await Warden.start({
    policyPath: join(dir, "policy.json"),
    auditPath: join(dir, "audit.jsonl"),
    settings: { get: (k) => store.get(k), set: (k, v) => store.set(k, v) },
    servers: { mcpServers: {} },
    now: () => clock,
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
    expect(first && contextLine(first)).toBe("1st stop_vm from this client in the last minute; 9 left of 10");
    expect(third && contextLine(third)).toBe("1st stop_vm from this client in the last minute; 9 left of 10");

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

describe("how many such calls this client made recently", () => {
  function restart(grant: string, server = "virt", vm = "dev-1") {
    return warden
      .handleCall({ server, tool: "restart_vm", args: { vm }, grant, session: "s", forward })
      .catch(() => undefined);
  }
  const latest = () => warden.broker.list().at(-1);

  it("counts the same tool to the same server from the same client in the last minute, without a limit", async () => {
    clock += 3_600_000;
    const calls = [restart("claude-desktop"), restart("claude-desktop")];
    const second = latest();
    expect(second?.recent).toEqual({ calls: 2, window: "minute" });
    expect(second && contextLine(second)).toBe("2nd restart_vm from this client in the last minute");
    // Answered or not, a call counts: deny them all, then one more is the third.
    warden.broker.denyAll();
    await Promise.all(calls);
    clock += 30_000;
    calls.push(restart("claude-desktop"));
    expect(latest()?.recent?.calls).toBe(3);
    // Another client, another server: counted apart.
    calls.push(restart("cursor"), restart("claude-desktop", "lab"));
    expect(warden.broker.list().map((p) => p.recent?.calls)).toEqual([3, 1, 1]);
    // A minute after the first two, only the third is still recent.
    clock += 30_001;
    calls.push(restart("claude-desktop"));
    expect(latest()?.recent?.calls).toBe(2);
    warden.broker.denyAll();
    await Promise.all(calls);
  });
});
