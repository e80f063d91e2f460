/** Limits under concurrency and restarts, hot reload, and upstream crashes. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  callTool,
  type RunningWarden,
  readState,
  SEED_POLICY,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("limits", () => {
  it("200 simultaneous stop_vm calls against max 10 forward exactly 10", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state, { VIRT_DELAY_MS: "50" }) },
    });
    const client = await warden.client("virt");
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => callTool(client, "stop_vm", { vm_name: `vm-${i}` })),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(10);
    expect(results.filter((r) => textOf(r).includes('limit "stop_vm_rate" reached'))).toHaveLength(190);
    expect(readState(state).calls).toHaveLength(10);
  });

  it("a restart in the middle of a window keeps the count", async () => {
    const state = join(tempDir(), "virt.json");
    const servers = { virt: virtualizationServer("testing", state) };
    warden = await startWarden({ policy: SEED_POLICY, servers });
    const dataDir = warden.dataDir;
    let client = await warden.client("virt");
    for (let i = 0; i < 7; i++)
      expect((await callTool(client, "stop_vm", { vm_name: `a-${i}` })).isError).toBeFalsy();
    await warden.stop();

    warden = await startWarden({ servers, dataDir });
    client = await warden.client("virt");
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await callTool(client, "stop_vm", { vm_name: `b-${i}` }));
    expect(results.filter((r) => !r.isError)).toHaveLength(3);
    expect(textOf(results[3] ?? { content: [] })).toContain('limit "stop_vm_rate" reached');
    expect(readState(state).calls).toHaveLength(10);
  });

  it("a kill -9 keeps every decision written before the call was forwarded", async () => {
    const state = join(tempDir(), "virt.json");
    const servers = { virt: virtualizationServer("testing", state) };
    warden = await startWarden({ policy: SEED_POLICY, servers });
    const client = await warden.client("virt");
    for (let i = 0; i < 4; i++) await callTool(client, "stop_vm", { vm_name: `k-${i}` });
    const dataDir = warden.dataDir;
    await warden.stop("SIGKILL");

    const lines = readFileSync(join(dataDir, "audit.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const decisions = lines.filter((l) => l.t === "decision" && l.tool === "stop_vm");
    expect(decisions).toHaveLength(4);
    expect(readState(state).calls).toHaveLength(4);

    warden = await startWarden({ servers, dataDir });
    const again = await warden.client("virt");
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await callTool(again, "stop_vm", { vm_name: `r-${i}` }));
    expect(results.filter((r) => !r.isError)).toHaveLength(6);
  });
});

describe("policy hot reload", () => {
  it("a valid edit applies to the next call; a bad edit is refused and the last good policy stays", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const client = await warden.client("virt");
    expect((await callTool(client, "list_vms")).isError).toBe(true);

    const allowList = JSON.parse(SEED_POLICY);
    allowList.tools.list_vms = { action: "allow" };
    writeFileSync(warden.policyPath, JSON.stringify(allowList));
    await waitFor(async () => !(await callTool(client, "list_vms")).isError, 10_000, "the edit to apply");

    writeFileSync(
      warden.policyPath,
      '{ "version": "1", "default": "allow", "tools": { "list_vms": { "acton": "deny" } ',
    );
    const w = warden;
    await waitFor(
      async () => (await w.api("getPolicy")).fileErrors.length > 0,
      10_000,
      "the bad edit to be seen",
    );
    const policy = await w.api("getPolicy");
    expect(policy.fileErrors[0]?.message).toMatch(/not valid JSON/);
    expect(JSON.parse(policy.text)).toEqual(allowList);
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    expect((await callTool(client, "delete_vm", { vm_name: "dev-web" })).isError).toBe(true);
    expect(w.output()).toContain("the last good policy stays in force");
  });

  it("savePolicy refuses an invalid policy with JSON paths and applies a valid one", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const bad = await warden.api("savePolicy", {
      text: JSON.stringify({
        version: "1",
        default: "allow",
        tools: { stop_vm: { limits: [{ counter: "c", window: "fortnight", max: 1 }] } },
      }),
    });
    expect(bad.ok).toBe(false);
    expect(bad.errors.map((e) => e.path)).toContain("tools.stop_vm.limits[0].window");
    expect(readFileSync(warden.policyPath, "utf8")).toBe(SEED_POLICY);

    const good = JSON.stringify({ version: "1", default: "allow", tools: {} });
    expect(await warden.api("savePolicy", { text: good })).toEqual({ ok: true, errors: [] });
    expect(readFileSync(warden.policyPath, "utf8")).toBe(good);
    const client = await warden.client("virt");
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
  });
});

describe("upstream crashes", () => {
  it("a crash mid-call gives the client an error, and the next call works after the restart", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { virt: virtualizationServer("testing", state, { VIRT_CRASH_VM: "doomed" }) },
    });
    const client = await warden.client("virt");
    const firstPid = readState(state).pid;
    await expect(callTool(client, "stop_vm", { vm_name: "doomed" })).rejects.toThrow(
      /Connection closed|upstream/i,
    );

    const w = warden;
    await waitFor(async () => (await w.api("listServers"))[0]?.state === "connected", 15_000, "the restart");
    const result = await callTool(client, "stop_vm", { vm_name: "dev-web" });
    expect(result.isError).toBeFalsy();
    expect(readState(state).pid).not.toBe(firstPid);
    expect(readState(state).vms["dev-web"]?.state).toBe("poweroff");
    const servers = await w.api("listServers");
    expect(servers[0]?.restarts).toBeGreaterThanOrEqual(1);
    expect(servers[0]?.stderr.join("\n")).toContain("demo stand-in");
    const calls = await w.api("listCalls", {});
    expect(calls.find((c) => c.args.vm_name === "doomed")).toMatchObject({ outcome: "upstream-error" });
  });
});
