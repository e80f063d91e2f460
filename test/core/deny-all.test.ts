/**
 * The kill switch always engages: Deny-all takes effect in memory first — new calls and pending approvals
 * refused — and is persisted after; a write that fails (a full disk, no descriptors left) is reported and
 * does not keep the switch off.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Warden } from "../../main/core/warden.js";
import { tempDir } from "../helpers/warden.js";

let warden: Warden | undefined;
afterEach(async () => {
  await warden?.close();
  warden = undefined;
});

/** A settings store whose writes fail as a full disk or an exhausted descriptor table makes them fail. */
function failingStore(): { get(key: string): unknown; set(key: string, value: unknown): void } {
  return {
    get: () => undefined,
    set: () => {
      throw Object.assign(new Error("EMFILE: too many open files, open 'settings.json'"), { code: "EMFILE" });
    },
  };
}

/** Sent on to nowhere: a call that got through would fail, not succeed. */
const forward = () => Promise.reject(new Error("no upstream in this test"));

describe("Deny-all under a failing settings write", () => {
  it("engages at once, refuses new and pending calls, and says the setting was not saved", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1", default: "approve", tools: {} }));
    warden = await Warden.start({
      policyPath: join(dir, "policy.json"),
      auditPath: join(dir, "audit.jsonl"),
      settings: failingStore(),
      servers: { mcpServers: {} },
    });
    const w = warden;
    const pending = w.handleCall({
      server: "virt",
      tool: "stop_vm",
      args: {},
      grant: "g",
      session: "s",
      forward,
    });
    expect(w.broker.list()).toHaveLength(1);

    const answer = w.methods.setDenyAll({ on: true }) as { denyAll: boolean; error?: string };
    expect(answer.denyAll).toBe(true);
    expect(answer.error).toContain("could not be saved (EMFILE");
    expect(w.denyAll).toBe(true);
    expect(JSON.stringify((await pending).refused)).toContain("Deny-all was turned on");

    const next = await w.handleCall({
      server: "virt",
      tool: "stop_vm",
      args: {},
      grant: "g",
      session: "s",
      forward,
    });
    expect(next.refused?.isError).toBe(true);
    expect(JSON.stringify(next.refused)).toContain("Deny-all is on");
  });
});
