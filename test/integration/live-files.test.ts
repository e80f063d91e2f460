/** Edits other processes make to servers.json and tokens.json apply without a restart. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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

const ALLOW_ALL = JSON.stringify({ version: "1", default: "allow", tools: {} });

describe("live servers.json and tokens.json", () => {
  it("a server added to servers.json is served at once; one removed stops; its sessions end", async () => {
    const a = virtualizationServer("testing", join(tempDir(), "a.json"));
    warden = await startWarden({ policy: ALLOW_ALL, servers: { a } });
    const w = warden;
    const serversPath = join(w.dataDir, "servers.json");
    const clientA = await w.client("a");

    const b = virtualizationServer("production", join(tempDir(), "b.json"));
    writeFileSync(serversPath, JSON.stringify({ mcpServers: { a, b } }));
    await waitFor(
      async () => (await w.api("listServers")).some((s) => s.name === "b" && s.state === "connected"),
      15_000,
      "b",
    );
    const clientB = await w.client("b");
    expect((await callTool(clientB, "vm_management", { action: "list" })).isError).toBeFalsy();
    expect((await callTool(clientA, "list_vms")).isError).toBeFalsy();

    writeFileSync(serversPath, JSON.stringify({ mcpServers: { a } }));
    await waitFor(async () => !(await w.api("listServers")).some((s) => s.name === "b"), 15_000, "b to go");
    await expect(callTool(clientB, "vm_management", { action: "list" })).rejects.toThrow();
    await expect(w.client("b")).rejects.toThrow();
    expect((await callTool(clientA, "list_vms")).isError).toBeFalsy();
  });

  it("a broken servers.json keeps the running servers and says why", async () => {
    const a = virtualizationServer("testing", join(tempDir(), "a.json"));
    warden = await startWarden({ policy: ALLOW_ALL, servers: { a } });
    const w = warden;
    writeFileSync(join(w.dataDir, "servers.json"), "{ not json");
    await waitFor(() => w.output().includes("the running servers stay as they are"), 10_000, "the complaint");
    expect((await callTool(await w.client("a"), "list_vms")).isError).toBeFalsy();
  });

  it("a grant another process writes into tokens.json works at once, and survives a grant made through the API", async () => {
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { a: virtualizationServer("testing", join(tempDir(), "a.json")) },
    });
    const w = warden;
    const tokensPath = join(w.dataDir, "tokens.json");
    const tokens = JSON.parse(readFileSync(tokensPath, "utf8"));
    tokens.grants.cursor = "cursor-token-written-by-wrap";
    writeFileSync(tokensPath, JSON.stringify(tokens));
    await waitFor(
      async () => (await w.api("listGrants")).some((g) => g.name === "cursor"),
      10_000,
      "the new grant",
    );
    await callTool(await w.client("a", "cursor-token-written-by-wrap"), "list_vms");
    expect((await w.api("listCalls", {}))[0]?.client).toBe("cursor");

    expect((await w.api("createGrant", { name: "vscode" })).ok).toBe(true);
    const after = JSON.parse(readFileSync(tokensPath, "utf8"));
    expect(Object.keys(after.grants).sort()).toEqual(["cursor", "default", "vscode"]);
  });
});
