/** HTTP on both sides: URL upstreams (Streamable HTTP, SSE fallback) and the loopback endpoint's defences. */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  callTool,
  everythingEntry,
  grantArgs,
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
let upstream: ChildProcess | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
  upstream?.kill();
  upstream = undefined;
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Starts server-everything in an HTTP mode on a free loopback port. */
async function startEverything(mode: "streamableHttp" | "sse"): Promise<number> {
  const port = await freePort();
  upstream = spawn(process.execPath, [everythingEntry, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: "pipe",
  });
  let out = "";
  upstream.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(
    () => /running on port|listening on port/i.test(out),
    15_000,
    `server-everything ${mode} to listen`,
  );
  return port;
}

/** A raw HTTP request, so tests can send the Host and Origin headers a browser would. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "POST", headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("URL upstreams", () => {
  it("reaches a Streamable HTTP server", async () => {
    const port = await startEverything("streamableHttp");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { remote: { url: `http://127.0.0.1:${port}/mcp` } },
    });
    const client = await warden.client("remote");
    expect(textOf(await callTool(client, "echo", { message: "over http" }))).toContain("over http");
    expect((await warden.api("listServers"))[0]).toMatchObject({ transport: "http", state: "connected" });
  });

  it("falls back to SSE for a server that only speaks the old transport", async () => {
    const port = await startEverything("sse");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { old: { url: `http://127.0.0.1:${port}/sse` } },
    });
    const client = await warden.client("old");
    expect(textOf(await callTool(client, "echo", { message: "over sse" }))).toContain("over sse");
    expect((await warden.api("listServers"))[0]).toMatchObject({ transport: "sse", state: "connected" });
  });
});

describe("tool list changes and pinning", () => {
  it("a tool the upstream adds later is announced, held back until accepted, then listed and callable", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { virt: virtualizationServer("production", state, { VIRT_LIST_CHANGE_AFTER_MS: "1500" }) },
    });
    const w = warden;
    const client = await w.client("virt");
    let announced = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      announced++;
    });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("vm_console");
    await waitFor(
      async () => (await w.api("listToolChanges")).length === 1,
      10_000,
      "the new tool to be held",
    );
    expect((await w.api("listToolChanges"))[0]).toMatchObject({
      server: "virt",
      tool: "vm_console",
      kind: "new",
    });
    // Announced twice: by the warden (a tool is held) and by the client's own server process.
    await waitFor(() => announced >= 2, 10_000, "tools/list_changed from the warden and the server");
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("vm_console");
    const refused = await callTool(client, "vm_console", { vm_name: "dev-web" });
    expect(textOf(refused)).toContain("new or has changed since it was accepted");
    expect((await w.api("dryRun", { server: "virt", tool: "vm_console", args: {} })).decision).toMatchObject({
      verdict: "deny",
      rule: "tool-pinning",
    });
    expect(readState(state).calls.map((c) => c.tool)).not.toContain("vm_console");

    expect(await w.api("acceptToolChange", { server: "virt", tool: "vm_console" })).toEqual({ ok: true });
    await waitFor(() => announced >= 3, 10_000, "tools/list_changed after the acceptance");
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("vm_console");
    expect((await callTool(client, "vm_console", { vm_name: "dev-web" })).isError).toBeFalsy();
  });

  it("a tool whose description changes (a rug pull) is held back, showing before and after", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { virt: virtualizationServer("production", state, { VIRT_RUG_PULL_AFTER_MS: "1500" }) },
    });
    const w = warden;
    const client = await w.client("virt");
    expect((await callTool(client, "vm_management", { action: "list" })).isError).toBeFalsy();
    await waitFor(async () => (await w.api("listToolChanges")).length === 1, 10_000, "the change to be held");
    const [change] = await w.api("listToolChanges");
    expect(change).toMatchObject({ tool: "vm_management", kind: "changed" });
    expect(change?.current.description).toContain("including production ones");
    expect(change?.pinned?.description).not.toContain("including production ones");
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("vm_management");
    expect((await callTool(client, "vm_management", { action: "list" })).isError).toBe(true);
    expect(readState(state).calls).toHaveLength(1);

    await w.stop();
    warden = await startWarden({
      servers: { virt: virtualizationServer("production", state) },
      dataDir: w.dataDir,
    });
    const again = await warden.client("virt");
    expect((await callTool(again, "vm_management", { action: "list" })).isError).toBeFalsy();
  });

  it("refuses a tool the server does not list", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { virt: virtualizationServer("production", state) },
    });
    const client = await warden.client("virt");
    const result = await callTool(client, "stop_vm", { vm_name: "dev-web" });
    expect(textOf(result)).toContain('does not offer a tool named "stop_vm"');
    expect(readState(state).calls).toHaveLength(0);
    // A dry run answers as the live path does: the same one decision.
    const dry = await warden.api("dryRun", { server: "virt", tool: "stop_vm", args: { vm_name: "dev-web" } });
    expect(dry.decision).toMatchObject({ verdict: "deny", rule: "tool-pinning" });
    expect(dry.decision?.reason).toContain('does not offer a tool named "stop_vm"');
  });
});

describe("the loopback endpoint", () => {
  async function setup() {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { virt: virtualizationServer("testing", state) },
      extraArgs: grantArgs("cursor", "cursor-token"),
    });
    return warden;
  }

  it("refuses MCP requests without a valid bearer token", async () => {
    const w = await setup();
    const none = await rawRequest(`${w.url}/mcp/virt`, { headers: MCP_HEADERS, body: INIT });
    expect(none.status).toBe(401);
    const wrong = await rawRequest(`${w.url}/mcp/virt`, {
      headers: { ...MCP_HEADERS, authorization: "Bearer not-a-token" },
      body: INIT,
    });
    expect(wrong.status).toBe(401);
    const ok = await rawRequest(`${w.url}/mcp/virt`, {
      headers: { ...MCP_HEADERS, authorization: `Bearer ${CLIENT_TOKEN}` },
      body: INIT,
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a foreign Host (DNS rebinding) and a foreign Origin, even with valid tokens", async () => {
    const w = await setup();
    const rebinding = await rawRequest(`${w.url}/api/getState`, {
      headers: {
        host: `evil.example:${new URL(w.url).port}`,
        authorization: `Bearer ${ADMIN_TOKEN}`,
        "content-type": "application/json",
      },
      body: "{}",
    });
    expect(rebinding.status).toBe(403);
    const crossSite = await rawRequest(`${w.url}/mcp/virt`, {
      headers: { ...MCP_HEADERS, origin: "http://evil.example", authorization: `Bearer ${CLIENT_TOKEN}` },
      body: INIT,
    });
    expect(crossSite.status).toBe(403);
    const sameOrigin = await rawRequest(`${w.url}/api/getState`, {
      headers: { origin: w.url, authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(sameOrigin.status).toBe(200);
  });

  it("refuses a form post to the control API (only JSON bodies are taken)", async () => {
    const w = await setup();
    const form = await rawRequest(`${w.url}/api/setDenyAll`, {
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Bearer ${ADMIN_TOKEN}`,
      },
      body: "on=true",
    });
    expect(form.status).toBe(415);
    expect((await w.api("getState")).denyAll).toBe(false);
  });

  it("keeps a session to the client that opened it", async () => {
    const w = await setup();
    const init = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${w.url}/mcp/virt`,
        { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${CLIENT_TOKEN}` } },
        (res) => {
          res.resume();
          resolve(String(res.headers["mcp-session-id"]));
        },
      );
      req.on("error", reject);
      req.end(INIT);
    });
    const hijack = await rawRequest(`${w.url}/mcp/virt`, {
      headers: { ...MCP_HEADERS, authorization: "Bearer cursor-token", "mcp-session-id": init },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(hijack.status).toBe(403);
  });

  it("answers malformed JSON with a parse error and an oversized body with 413, and keeps serving", async () => {
    const w = await setup();
    const auth = { ...MCP_HEADERS, authorization: `Bearer ${CLIENT_TOKEN}` };
    const broken = await rawRequest(`${w.url}/mcp/virt`, {
      headers: auth,
      body: '{"jsonrpc": "2.0", "id": 1, "method": ',
    });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body).error.code).toBe(-32700);
    const huge = await rawRequest(`${w.url}/mcp/virt`, {
      headers: auth,
      body: Buffer.alloc(5 * 1024 * 1024, 0x20),
    });
    expect(huge.status).toBe(413);
    const client = await w.client("virt");
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
  });

  it("names the grant that made each call", async () => {
    const w = await setup();
    await callTool(await w.client("virt", "cursor-token"), "list_vms");
    expect((await w.api("listCalls", {}))[0]).toMatchObject({
      client: "cursor",
      tool: "list_vms",
      outcome: "ok",
    });
  });
});

describe("URL upstreams that heal", () => {
  it("after the server restarts (its sessions gone), existing and new client sessions work again", async () => {
    const port = await startEverything("streamableHttp");
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { remote: { url: `http://127.0.0.1:${port}/mcp` } },
    });
    const client = await warden.client("remote");
    expect(textOf(await callTool(client, "echo", { message: "before" }))).toContain("before");
    const old = upstream;
    const exited = new Promise((r) => old?.once("exit", r));
    old?.kill();
    await exited;
    upstream = spawn(process.execPath, [everythingEntry, "streamableHttp"], {
      env: { ...process.env, PORT: String(port) },
      stdio: "pipe",
    });
    let out = "";
    upstream.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(() => /running on port|listening on port/i.test(out), 15_000, "the restarted server");
    // The client's own session on the server is gone: the warden opens a new one and sends the call again.
    expect(textOf(await callTool(client, "echo", { message: "after" }))).toContain("after");
    const fresh = await warden.client("remote");
    expect(textOf(await callTool(fresh, "echo", { message: "new session" }))).toContain("new session");
    await waitFor(
      async () => (await warden?.api("listServers"))?.[0]?.state === "connected",
      20_000,
      "the warden's own connection to heal",
    );
  });

  it("a server that is not up yet is reached over Streamable HTTP once it starts, not stuck on SSE", async () => {
    const port = await freePort();
    warden = await startWarden({
      policy: ALLOW_ALL,
      servers: { late: { url: `http://127.0.0.1:${port}/mcp` } },
    });
    const w = warden;
    expect((await w.api("listServers"))[0]?.lastError).toMatch(
      /could not connect: .*fetch failed|ECONNREFUSED/,
    );
    upstream = spawn(process.execPath, [everythingEntry, "streamableHttp"], {
      env: { ...process.env, PORT: String(port) },
      stdio: "pipe",
    });
    await waitFor(
      async () => (await w.api("listServers"))[0]?.state === "connected",
      30_000,
      "the late server",
    );
    expect((await w.api("listServers"))[0]).toMatchObject({ transport: "http", state: "connected" });
    const client = await w.client("late");
    expect(textOf(await callTool(client, "echo", { message: "late" }))).toContain("late");
  });

  it("a server that accepts the connection and never answers fails its attempt at the connect timeout, saying so", async () => {
    const silent = createServer(() => {}).listen(0, "127.0.0.1");
    await new Promise((r) => silent.once("listening", r));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      warden = await startWarden({
        policy: ALLOW_ALL,
        servers: { mute: { url: `http://127.0.0.1:${port}/mcp`, connectTimeoutMs: 1_000 } },
      });
      const w = warden;
      await waitFor(
        async () => Boolean((await w.api("listServers"))[0]?.lastError),
        10_000,
        "the first attempt",
      );
      expect((await w.api("listServers"))[0]?.lastError).toContain("did not answer within 1 s");
    } finally {
      silent.close();
    }
  });
});
