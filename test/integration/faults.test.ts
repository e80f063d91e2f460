/** Faults on the way: an audit log that cannot be written, an upstream that hangs. */
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  callTool,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

const ALLOW_ALL = JSON.stringify({ version: "1", default: "allow", tools: {} });

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("faults", () => {
  it("a full disk under the audit log refuses every call: nothing is forwarded unaudited", async () => {
    const dataDir = tempDir();
    symlinkSync("/dev/full", join(dataDir, "audit.jsonl"));
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      dataDir,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const client = await warden.client("virt");
    const result = await callTool(client, "stop_vm", { vm_name: "dev-web" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("the audit log cannot be written, so nothing is forwarded");
    expect(readState(state).calls).toHaveLength(0);
    expect(readState(state).vms["dev-web"]?.state).toBe("running");
  });

  it("an upstream that hangs past the server's timeout gives the client an error, and the warden keeps serving", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: {
        slow: { ...virtualizationServer("testing", state, { VIRT_DELAY_MS: "5000" }), timeoutMs: 500 },
        fast: virtualizationServer("testing", join(tempDir(), "fast.json")),
      },
    });
    const slow = await warden.client("slow");
    const started = Date.now();
    await expect(callTool(slow, "list_vms")).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeLessThan(4_000);
    const fast = await warden.client("fast");
    expect((await callTool(fast, "list_vms")).isError).toBeFalsy();
    const calls = await warden.api("listCalls", {});
    expect(calls.find((c) => c.server === "slow")).toMatchObject({ outcome: "upstream-error" });
  });
});

describe("a misbehaving upstream", () => {
  it("garbage on its stdout is skipped, and a flood of stderr keeps only the last lines", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: {
        virt: virtualizationServer("testing", state, { VIRT_GARBAGE: "1", VIRT_STDERR_FLOOD: "2000" }),
      },
    });
    const client = await warden.client("virt");
    for (let i = 0; i < 5; i++) {
      const result = await callTool(client, "get_vm_info", { vm_name: "dev-web" });
      expect(result.structuredContent).toMatchObject({ success: true });
    }
    const w = warden;
    // A server's stderr may still be arriving after its answer (it is another pipe): the fifth flood's own
    // last line says when all of it is in.
    await waitFor(
      async () => (await w.api("listServers"))[0]?.stderr.at(-1) === "demo noise done 5",
      10_000,
      "the end of the last flood",
    );
    const [server] = await w.api("listServers");
    expect(server?.state).toBe("connected");
    expect(server?.stderr).toEqual([
      ...Array.from({ length: 49 }, (_, k) => `demo noise ${1951 + k} ${"x".repeat(200)}`),
      "demo noise done 5",
    ]);
  });
});
