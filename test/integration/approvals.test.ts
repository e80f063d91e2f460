/** Approvals end to end: a call waits, a human answers through the control API, the upstream sees it or not. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  callTool,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

const APPROVE_POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    stop_vm: {
      action: "approve",
      reason: "Stopping a VM takes services offline",
      approval: { timeout: "2s" },
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" }],
    },
  },
});

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

async function setup() {
  const state = join(tempDir(), "virt.json");
  warden = await startWarden({
    policy: APPROVE_POLICY,
    servers: { virt: virtualizationServer("testing", state) },
  });
  const client = await warden.client("virt");
  return { w: warden, client, state };
}

async function pendingOne(w: RunningWarden) {
  let pending: Awaited<ReturnType<RunningWarden["api"]>> = [];
  await waitFor(
    async () => {
      pending = await w.api("listApprovals");
      return (pending as unknown[]).length === 1;
    },
    10_000,
    "a pending approval",
  );
  return (
    pending as { id: string; tool: string; args: Record<string, unknown>; rule: string; callHash: string }[]
  )[0];
}

describe("approvals", () => {
  it("an approved stop_vm waits, then reaches the upstream and the client gets its result", async () => {
    const { w, client, state } = await setup();
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    const pending = await pendingOne(w);
    expect(pending).toMatchObject({
      tool: "stop_vm",
      args: { vm_name: "dev-web" },
      rule: 'tools["stop_vm"]',
    });
    expect(readState(state).calls).toHaveLength(0);

    expect((await w.api("approve", { id: pending?.id ?? "", callHash: "0".repeat(64) })).ok).toBe(false);
    expect(await w.api("approve", { id: pending?.id ?? "", callHash: pending?.callHash })).toEqual({
      ok: true,
    });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ success: true });
    expect(readState(state).vms["dev-web"]?.state).toBe("poweroff");
    expect((await w.api("approve", { id: pending?.id ?? "" })).ok).toBe(false);

    const calls = await w.api("listCalls", { limit: 10 });
    expect(calls[0]).toMatchObject({ tool: "stop_vm", status: "approved", outcome: "ok", client: "cli" });
  });

  it("a denied stop_vm never reaches the upstream and the agent is told a human denied it", async () => {
    const { w, client, state } = await setup();
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    const pending = await pendingOne(w);
    expect(await w.api("deny", { id: pending?.id ?? "" })).toEqual({ ok: true });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("a human denied this call");
    expect(readState(state).calls).toHaveLength(0);
    expect(readState(state).vms["dev-web"]?.state).toBe("running");
    expect((await w.api("listCalls", {}))[0]?.status).toBe("rejected");
  });

  it("a call approved after the policy changed to deny it is refused, not forwarded", async () => {
    const { w, client, state } = await setup();
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    const pending = await pendingOne(w);
    const saved = await w.api("savePolicy", {
      text: JSON.stringify({
        version: "1",
        default: "deny",
        tools: { stop_vm: { action: "deny", reason: "frozen" } },
      }),
    });
    expect(saved.ok).toBe(true);
    expect(await w.api("approve", { id: pending?.id ?? "" })).toEqual({ ok: true });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("approved, but refused by now: frozen");
    expect(readState(state).calls).toHaveLength(0);
  });

  it("no answer before the rule's timeout denies the call", async () => {
    const { w, client, state } = await setup();
    const started = Date.now();
    const result = await callTool(client, "stop_vm", { vm_name: "dev-web" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("no one approved this call in time");
    expect(readState(state).calls).toHaveLength(0);
    expect(await w.api("listApprovals")).toEqual([]);
  });

  it("a client that cancels while waiting ends its approval, and the upstream never sees the call", async () => {
    const { w, client, state } = await setup();
    const abort = new AbortController();
    const call = client.request(
      { method: "tools/call", params: { name: "stop_vm", arguments: { vm_name: "dev-web" } } },
      CallToolResultSchema,
      { signal: abort.signal },
    );
    await pendingOne(w);
    abort.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await waitFor(async () => (await w.api("listApprovals")).length === 0, 5_000, "the approval to end");
    await waitFor(
      async () => (await w.api("listCalls", {}))[0]?.status === "cancelled",
      5_000,
      "the call to be cancelled",
    );
    expect(readState(state).calls).toHaveLength(0);
  });

  it("Deny-all denies a pending call and every new one, and stays on across a restart", async () => {
    const { w, client, state } = await setup();
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    await pendingOne(w);
    expect(await w.api("setDenyAll", { on: true })).toEqual({ denyAll: true });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Deny-all was turned on");

    const next = await callTool(client, "stop_vm", { vm_name: "dev-db" });
    expect(textOf(next)).toContain("Deny-all is on");
    expect(await w.api("listApprovals")).toEqual([]);
    expect(readState(state).calls).toHaveLength(0);

    await w.stop();
    warden = await startWarden({
      servers: { virt: virtualizationServer("testing", state) },
      dataDir: w.dataDir,
    });
    expect((await warden.api("getState")).denyAll).toBe(true);
    const again = await callTool(await warden.client("virt"), "stop_vm", { vm_name: "dev-db" });
    expect(textOf(again)).toContain("Deny-all is on");
    expect(await warden.api("setDenyAll", { on: false })).toEqual({ denyAll: false });
  });

  it("a client's own MCP token cannot use the control API, and the admin token is no MCP token", async () => {
    const { w } = await setup();
    await expect(w.api("listApprovals", {}, CLIENT_TOKEN)).rejects.toThrow(/HTTP 401/);
    await expect(w.client("virt", ADMIN_TOKEN)).rejects.toThrow();
  });
});

describe("a call that waits for a human longer than the client would wait", () => {
  const LONG_WAIT = APPROVE_POLICY.replace('"2s"', '"2m"');

  it("keeps a client that resets its timeout on progress waiting until the answer", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "settings.json"), JSON.stringify({ approvalProgressMs: 300 }));
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: LONG_WAIT,
      servers: { virt: virtualizationServer("testing", state) },
      dataDir,
    });
    const w = warden;
    const client = await w.client("virt");
    let progress = 0;
    const call = client.request(
      { method: "tools/call", params: { name: "stop_vm", arguments: { vm_name: "dev-web" } } },
      CallToolResultSchema,
      // The client gives up after 1 s without news; the human answers after several times that.
      { timeout: 1_000, resetTimeoutOnProgress: true, onprogress: () => void progress++ },
    );
    const pending = await pendingOne(w);
    await waitFor(() => progress >= 8, 10_000, "progress while the call waits");
    expect(await w.api("approve", { id: pending?.id ?? "", callHash: pending?.callHash })).toEqual({
      ok: true,
    });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(readState(state).calls.map((c) => c.tool)).toEqual(["stop_vm"]);
  });

  it("a client that asked for no progress gets none while it waits", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "settings.json"), JSON.stringify({ approvalProgressMs: 100 }));
    warden = await startWarden({
      policy: LONG_WAIT,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
      dataDir,
    });
    const w = warden;
    const client = await w.client("virt");
    const notifications: string[] = [];
    client.fallbackNotificationHandler = async (n) => void notifications.push(n.method);
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    const pending = await pendingOne(w);
    await w.api("deny", { id: pending?.id ?? "" });
    expect((await call).isError).toBe(true);
    expect(notifications).not.toContain("notifications/progress");
  });
});
