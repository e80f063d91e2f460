/** Sessions whose client went away are closed; sessions in use are not. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpServer, type WardenHttp } from "../../main/core/http-server.js";
import { Warden } from "../../main/core/warden.js";
import { tempDir, virtualizationServer } from "../helpers/warden.js";

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  authorization: "Bearer t",
};
const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

let warden: Warden | undefined;
let http: WardenHttp | undefined;
afterEach(async () => {
  await http?.close();
  await warden?.close();
});

describe("idle sessions", () => {
  it("a session with no request and nothing open past the idle time is closed", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1", default: "allow", tools: {} }));
    const store = new Map<string, unknown>();
    warden = await Warden.start({
      policyPath: join(dir, "policy.json"),
      auditPath: join(dir, "audit.jsonl"),
      settings: { get: (k) => store.get(k), set: (k, v) => store.set(k, v) },
      servers: { mcpServers: { virt: virtualizationServer("testing", join(dir, "virt.json")) as never } },
    });
    http = await startHttpServer(warden, {
      port: 0,
      grants: { g: "t" },
      adminToken: "a",
      sessionIdleMs: 2_000,
    });
    const url = `${http.url}/mcp/virt`;
    const init = await fetch(url, { method: "POST", headers: HEADERS, body: INIT });
    const session = init.headers.get("mcp-session-id") ?? "";
    await init.text();
    const list = () =>
      fetch(url, {
        method: "POST",
        headers: { ...HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
      });
    expect((await list()).status).toBe(200);
    // A quarter of the idle time later the session is still there (a loaded machine has room to be slow)…
    await new Promise((r) => setTimeout(r, 500));
    expect((await list()).status).toBe(200);
    // …and once it has been idle past the limit and the sweep (every half the idle time) has run, it is gone.
    // (Asking earlier would count as use and keep it open.)
    await new Promise((r) => setTimeout(r, 3_500));
    expect((await list()).status).toBe(404);
  });
});

describe("initialize requests the transport refuses", () => {
  it("leave nothing behind (no session, no upstream connection), and duplicate request ids are refused", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1", default: "allow", tools: {} }));
    const store = new Map<string, unknown>();
    warden = await Warden.start({
      policyPath: join(dir, "policy.json"),
      auditPath: join(dir, "audit.jsonl"),
      settings: { get: (k) => store.get(k), set: (k, v) => store.set(k, v) },
      servers: { mcpServers: { virt: virtualizationServer("testing", join(dir, "virt.json")) as never } },
    });
    http = await startHttpServer(warden, { port: 0, grants: { g: "t" }, adminToken: "a" });
    const url = `${http.url}/mcp/virt`;
    const upstream = warden.upstreams.get("virt");
    const lanes = async () => (await upstream?.openLanes())?.length;
    for (let i = 0; i < 20; i++) {
      const refused = await fetch(url, {
        method: "POST",
        headers: { ...HEADERS, accept: "application/json" },
        body: INIT,
      });
      expect(refused.status).toBe(406);
      expect(refused.headers.get("mcp-session-id")).toBeNull();
      await refused.text();
    }
    expect(await lanes()).toBe(0);

    const init = await fetch(url, { method: "POST", headers: HEADERS, body: INIT });
    const session = init.headers.get("mcp-session-id") ?? "";
    await init.text();
    expect(await lanes()).toBe(1);
    const twice = await fetch(url, {
      method: "POST",
      headers: { ...HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 5, method: "tools/list" },
        { jsonrpc: "2.0", id: 5, method: "tools/list" },
      ]),
    });
    expect(twice.status).toBe(400);
  });
});
