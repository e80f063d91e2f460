/** Grants managed at run time, call results for the UI, and approvals that stand for a while. */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  callTool,
  grantArgs,
  type RunningWarden,
  readState,
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

describe("grants", () => {
  it("a grant created through the API works at once, is listed with its token, and stops working when revoked", async () => {
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const created = await warden.api("createGrant", { name: "cursor" });
    expect(created.ok).toBe(true);
    const token = created.grant?.token ?? "";
    expect(token.length).toBeGreaterThan(20);
    expect((await warden.api("createGrant", { name: "cursor" })).ok).toBe(false);
    expect((await warden.api("createGrant", { name: "bad name!" })).ok).toBe(false);
    expect((await warden.api("listGrants")).map((g) => g.name).sort()).toEqual(["cli", "cursor", "default"]);

    const client = await warden.client("virt", token);
    await callTool(client, "list_vms");
    expect((await warden.api("listCalls", {}))[0]?.client).toBe("cursor");

    expect(await warden.api("revokeGrant", { name: "cursor" })).toEqual({ ok: true });
    await expect(warden.client("virt", token)).rejects.toThrow();
    expect((await warden.api("revokeGrant", { name: "cli" })).ok).toBe(false);
  });
});

describe("call results", () => {
  it("getCall returns a recent call with the upstream's result", async () => {
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const client = await warden.client("virt");
    await callTool(client, "get_vm_info", { vm_name: "dev-web" });
    const [call] = await warden.api("listCalls", {});
    const got = await warden.api("getCall", { id: call?.id ?? "" });
    expect(got.call?.tool).toBe("get_vm_info");
    expect(got.result).toMatchObject({ structuredContent: { success: true } });
    expect(await warden.api("getCall", { id: "no-such-call" })).toEqual({});
  });
});

describe("approving for a while", () => {
  it("the same client's same call goes through without asking until the time is up; other arguments or clients still ask", async () => {
    const state = join(tempDir(), "v.json");
    warden = await startWarden({
      policy: JSON.stringify({
        version: "1",
        default: "deny",
        tools: { stop_vm: { action: "approve", approval: { timeout: "2s" } } },
      }),
      servers: { virt: virtualizationServer("testing", state) },
      extraArgs: grantArgs("cursor", "cursor-token"),
    });
    const w = warden;
    const client = await w.client("virt");
    const stop = callTool(client, "stop_vm", { vm_name: "dev-web" });
    await waitFor(async () => (await w.api("listApprovals")).length === 1, 10_000, "the approval");
    const [pending] = await w.api("listApprovals");
    expect((await w.api("approve", { id: pending?.id ?? "", forMinutes: 0 })).ok).toBe(false);
    expect(await w.api("approve", { id: pending?.id ?? "", forMinutes: 5 })).toEqual({ ok: true });
    expect((await stop).isError).toBeFalsy();

    const again = await callTool(client, "stop_vm", { vm_name: "dev-web" });
    expect(textOf(again)).not.toContain("MCP Warden refused");
    expect(readState(state).calls.filter((c) => c.tool === "stop_vm")).toHaveLength(2);

    const other = await callTool(client, "stop_vm", { vm_name: "dev-db" });
    expect(textOf(other)).toContain("no one approved this call in time");

    const otherClient = await w.client("virt", "cursor-token");
    const sameCallOtherClient = await callTool(otherClient, "stop_vm", { vm_name: "dev-web" });
    expect(textOf(sameCallOtherClient)).toContain("no one approved this call in time");
  });
});
