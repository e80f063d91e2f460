/** The seed policy, verbatim, in front of the stand-in virtualization server in both of its modes. */
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
} from "../helpers/warden.js";

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("the seed policy", () => {
  it("lets exactly 10 of 12 stop_vm calls in a minute reach the upstream and names the limit for the rest", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const client = await warden.client("virt");

    const results = [];
    for (let i = 0; i < 12; i++) results.push(await callTool(client, "stop_vm", { vm_name: `vm-${i}` }));

    const refused = results.filter((r) => r.isError);
    expect(refused).toHaveLength(2);
    for (const r of refused) {
      expect(textOf(r)).toContain("MCP Warden refused this call to stop_vm");
      expect(textOf(r)).toContain('limit "stop_vm_rate" reached: 10 per minute per grant');
    }
    expect(results.slice(0, 10).every((r) => !r.isError)).toBe(true);
    expect(readState(state).calls.filter((c) => c.tool === "stop_vm")).toHaveLength(10);
  });

  it("denies other tools and hides them from tools/list", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const client = await warden.client("virt");

    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("stop_vm");
    expect(names).not.toContain("delete_vm");
    expect(names).not.toContain("list_vms");

    const result = await callTool(client, "delete_vm", { vm_name: "prod-db" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("[rule: default]");
    expect(readState(state).calls.map((c) => c.tool)).not.toContain("delete_vm");
    expect(readState(state).vms["prod-db"]?.state).toBe("running");
  });

  it("governs vm_management {action: stop} in production mode as stop_vm", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("production", state) },
    });
    const client = await warden.client("virt");

    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("vm_management");
    expect(names).not.toContain("stop_vm");
    expect(names).not.toContain("sandbox_management");

    const results = [];
    for (let i = 0; i < 12; i++) {
      results.push(await callTool(client, "vm_management", { action: "stop", vm_name: `vm-${i}` }));
    }
    expect(results.filter((r) => r.isError)).toHaveLength(2);
    expect(textOf(results[11] ?? { content: [] })).toContain('limit "stop_vm_rate" reached');

    const other = await callTool(client, "vm_management", { action: "delete", vm_name: "dev-web" });
    expect(other.isError).toBe(true);
    const calls = readState(state).calls;
    expect(calls.filter((c) => c.tool === "vm_management" && c.args.action === "stop")).toHaveLength(10);
    expect(calls.some((c) => c.args.action === "delete")).toBe(false);
  });

  it("really stops a VM when the call is allowed", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const client = await warden.client("virt");
    const result = await callTool(client, "stop_vm", { vm_name: "dev-web" });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ success: true });
    expect(readState(state).vms["dev-web"]?.state).toBe("poweroff");
  });
});
