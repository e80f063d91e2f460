/** The welcome screen's calls: find the client configs, wrap one, use it, unwrap it; a starter policy. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../shared/policy-schema.js";
import {
  callTool,
  type RunningWarden,
  startWarden,
  tempDir,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("client configs through the control API", () => {
  it("finds a Cursor config, wraps it so its server runs behind the warden at once, and unwraps it exactly", async () => {
    const home = tempDir();
    mkdirSync(join(home, ".cursor"));
    const cursorConfig = join(home, ".cursor", "mcp.json");
    const original = `${JSON.stringify({ mcpServers: { vms: virtualizationServer("testing", join(tempDir(), "v.json")) } }, null, 2)}\n`;
    writeFileSync(cursorConfig, original);
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: {},
      env: { HOME: home },
    });
    const w = warden;

    const found = await w.api("findClients");
    expect(found).toEqual([
      expect.objectContaining({ client: "cursor", path: cursorConfig, servers: 1, wrapped: 0 }),
    ]);

    const wrapped = await w.api("wrapClient", { client: "cursor" });
    expect(wrapped.ok).toBe(true);
    expect(wrapped.result?.entries).toEqual([expect.objectContaining({ outcome: "moved", server: "vms" })]);
    expect((await w.api("findClients"))[0]).toMatchObject({ wrapped: 1 });

    const entry = JSON.parse(readFileSync(cursorConfig, "utf8")).mcpServers.vms as {
      url: string;
      headers: Record<string, string>;
    };
    await waitFor(
      async () => (await w.api("listServers")).some((s) => s.name === "vms" && s.state === "connected"),
      15_000,
      "vms",
    );
    const client = new Client({ name: "cursor-like", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }),
    );
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    await client.close();
    expect((await w.api("listCalls", {}))[0]).toMatchObject({ client: "cursor", tool: "list_vms" });

    const unwrapped = await w.api("unwrapClient", { client: "cursor" });
    expect(unwrapped).toMatchObject({ ok: true, result: { exact: true } });
    expect(readFileSync(cursorConfig, "utf8")).toBe(original);
    expect((await w.api("wrapClient", { client: "nonsense" as never })).ok).toBe(false);
  });

  it("writes a starter policy for a connected server from its tools' risk, without applying it", async () => {
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const { text } = await warden.api("starterPolicy", { server: "virt" });
    const parsed = parsePolicy(text ?? "");
    expect(parsed.ok).toBe(true);
    expect(text).toContain("stop_vm");
    expect((await warden.api("getPolicy")).text).toBe(
      JSON.stringify({ version: "1", default: "allow", tools: {} }),
    );
    expect((await warden.api("starterPolicy", { server: "nope" })).error).toMatch(/no server/);
  });
});
