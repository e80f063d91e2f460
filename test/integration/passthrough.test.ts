/**
 * A server nobody here wrote (@modelcontextprotocol/server-everything) behind the warden: tools filtered
 * and decided, everything else passed through; and stdio-only clients through `mcp-warden connect`.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLIENT_TOKEN,
  callTool,
  cliPath,
  everythingEntry,
  initializeRequest,
  type RunningWarden,
  rawBridge,
  readState,
  SEED_POLICY,
  startWarden,
  tempDir,
  textOf,
  tokenFile,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

const everything = {
  command: process.execPath,
  args: [everythingEntry],
};

const POLICY = JSON.stringify({
  version: "1",
  default: "allow",
  tools: { "get-env": { action: "deny", reason: "environment variables hold secrets" } },
});

let warden: RunningWarden | undefined;
const stdioClients: Client[] = [];
afterEach(async () => {
  for (const c of stdioClients.splice(0)) await c.close().catch(() => {});
  await warden?.stop();
  warden = undefined;
});

/** Starts `mcp-warden connect` as a child process and connects an SDK client to it over stdio. */
async function connectOverStdio(w: RunningWarden, server: string): Promise<Client> {
  const client = new Client({ name: "stdio-client", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "connect", server, "--data-dir", w.dataDir, "--token-file", tokenFile(CLIENT_TOKEN)],
      stderr: "pipe",
    }),
  );
  stdioClients.push(client);
  return client;
}

describe("server-everything behind the warden", () => {
  it("hides and denies the denied tool, forwards the others", async () => {
    warden = await startWarden({ policy: POLICY, servers: { everything } });
    const client = await warden.client("everything");
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).not.toContain("get-env");

    const echo = await callTool(client, "echo", { message: "hello through the warden" });
    expect(textOf(echo)).toContain("hello through the warden");
    const env = await callTool(client, "get-env");
    expect(env.isError).toBe(true);
    expect(textOf(env)).toContain("environment variables hold secrets");
  });

  it("passes resources, prompts and ping through", async () => {
    warden = await startWarden({ policy: POLICY, servers: { everything } });
    const client = await warden.client("everything");
    const resources = await client.listResources();
    const first = resources.resources[0];
    expect(first?.uri).toMatch(/^demo:\/\//);
    const read = await client.readResource({ uri: first?.uri ?? "" });
    expect(read.contents[0]?.uri).toBe(first?.uri);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain("simple-prompt");
    const prompt = await client.getPrompt({ name: "simple-prompt" });
    expect(prompt.messages.length).toBeGreaterThan(0);
    expect(await client.ping()).toEqual({});
  });

  it("decides and audits resource reads, prompts and completions by their own rules, with default for the rest", async () => {
    warden = await startWarden({
      policy: JSON.stringify({
        version: "1",
        default: "deny",
        tools: {},
        resources: { "demo://resource/static/document/*": { action: "allow" } },
        prompts: { "simple-prompt": { action: "allow" }, "args-prompt": { action: "approve" } },
      }),
      servers: { everything },
    });
    const w = warden;
    const client = await w.client("everything");
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    const document = uris.find((u) => u.startsWith("demo://resource/static/document/")) ?? "";
    const other = uris.find((u) => !u.startsWith("demo://resource/static/document/")) ?? "";
    expect((await client.readResource({ uri: document })).contents[0]?.uri).toBe(document);
    await expect(client.readResource({ uri: other })).rejects.toThrow(
      /no rule allows this resource \[rule: default\]/,
    );
    expect((await client.getPrompt({ name: "simple-prompt" })).messages.length).toBeGreaterThan(0);

    const asked = client.getPrompt({ name: "args-prompt", arguments: { city: "Oslo" } });
    await waitFor(async () => (await w.api("listApprovals")).length === 1, 10_000, "the prompt's approval");
    const [pending] = await w.api("listApprovals");
    expect(pending).toMatchObject({
      tool: "prompts/get",
      args: { name: "args-prompt", arguments: { city: "Oslo" } },
    });
    await w.api("deny", { id: pending?.id ?? "" });
    await expect(asked).rejects.toThrow(/a human denied this call/);

    await expect(
      client.complete({
        ref: { type: "ref/prompt", name: "args-prompt" },
        argument: { name: "city", value: "O" },
      }),
    ).rejects.toThrow(/completions are refused where a human must approve/);
    const calls = await w.api("listCalls", {});
    const byMethod = calls.map((c) => [c.method, c.status]);
    expect(byMethod).toContainEqual(["resources/read", "allowed"]);
    expect(byMethod).toContainEqual(["resources/read", "denied"]);
    expect(byMethod).toContainEqual(["prompts/get", "rejected"]);
  });

  it("refuses resources and prompts while Deny-all is on", async () => {
    warden = await startWarden({ policy: POLICY, servers: { everything } });
    const client = await warden.client("everything");
    const uri = (await client.listResources()).resources[0]?.uri ?? "";
    await warden.api("setDenyAll", { on: true });
    await expect(client.readResource({ uri })).rejects.toThrow(/Deny-all is on/);
    await expect(client.getPrompt({ name: "simple-prompt" })).rejects.toThrow(/Deny-all is on/);
    await warden.api("setDenyAll", { on: false });
    expect((await client.readResource({ uri })).contents.length).toBeGreaterThan(0);
  });

  it("relays progress notifications of a long-running tool with the client's own token", async () => {
    warden = await startWarden({ policy: POLICY, servers: { everything } });
    const client = await warden.client("everything");
    const progress: number[] = [];
    const result = await client.request(
      {
        method: "tools/call",
        params: { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 4 } },
      },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3, 4]);
  });
});

describe("mcp-warden connect", () => {
  it("bridges a stdio client to the warden: same policy, same limits", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", state) },
    });
    const client = await connectOverStdio(warden, "virt");
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("stop_vm");
    expect(names).not.toContain("delete_vm");

    const results = [];
    for (let i = 0; i < 12; i++) results.push(await callTool(client, "stop_vm", { vm_name: `vm-${i}` }));
    expect(results.filter((r) => r.isError)).toHaveLength(2);
    expect(readState(state).calls).toHaveLength(10);
    const calls = await warden.api("listCalls", {});
    expect(calls[0]).toMatchObject({ client: "cli", status: "rate-limited" });
  });

  it("passes resources through the bridge, and every progress notification before the result", async () => {
    warden = await startWarden({ policy: POLICY, servers: { everything } });
    const client = await connectOverStdio(warden, "everything");
    expect((await client.listResources()).resources.length).toBeGreaterThan(0);

    // Read the bridge's raw output: the SDK client itself drops a progress notification that arrives in
    // the same read as its result, so only the bytes show what the bridge really sent.
    const bridge = rawBridge(warden, "everything");
    bridge.send(initializeRequest(1));
    await bridge.answer(1);
    bridge.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    bridge.send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: {
        name: "trigger-long-running-operation",
        arguments: { duration: 1, steps: 3 },
        _meta: { progressToken: "p" },
      },
    });
    await bridge.answer(2);
    bridge.kill();
    const { messages } = bridge;
    expect(
      messages.filter((m) => m.method === "notifications/progress").map((m) => m.params?.progress),
    ).toEqual([1, 2, 3]);
    expect(messages.findIndex((m) => m.id === 2)).toBeGreaterThan(
      messages.findLastIndex((m) => m.method === "notifications/progress"),
    );
  });

  it("answers a line that is not JSON, and a message that is not JSON-RPC, with errors and keeps going", async () => {
    warden = await startWarden({ policy: POLICY, servers: { everything } });
    const bridge = rawBridge(warden, "everything");
    bridge.send("{ this is not json");
    bridge.send({ id: 7, hello: "world" });
    bridge.send(initializeRequest(1));
    expect((await bridge.answer(1, "initialize after the garbage")).result).toBeDefined();
    bridge.kill();
    expect(bridge.messages.find((m) => m.error?.code === -32700)).toMatchObject({ id: null });
    expect(bridge.messages.find((m) => m.error?.code === -32600)).toMatchObject({ id: 7 });
  });

  it("fails with a clear error when no warden is running", async () => {
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "connect", "virt", "--data-dir", tempDir()],
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    await expect(client.connect(transport)).rejects.toThrow();
    expect(stderr).toMatch(/the warden is not running \(no .*runtime\.json\); start mcp-warden serve/);
  });
});
