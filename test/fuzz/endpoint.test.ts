/**
 * Hostile input into the HTTP endpoint and into `mcp-warden connect`: every request gets an HTTP or
 * JSON-RPC error (never a 5xx, never a crash), memory stays bounded, and the warden keeps serving.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLIENT_TOKEN,
  callTool,
  initializeRequest,
  type RunningWarden,
  rawBridge,
  startWarden,
  tempDir,
  virtualizationServer,
} from "../helpers/warden.js";
import { FUZZ_SEED, runs } from "./fuzz.js";

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  authorization: `Bearer ${CLIENT_TOKEN}`,
};
const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } },
};

let warden: RunningWarden;
let sessionId = "";
let endpoint = "";

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function post(body: string | Uint8Array, session?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: {
      ...MCP_HEADERS,
      ...(session ? { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } : {}),
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

const method = fc.oneof(
  fc.constantFrom(
    "initialize",
    "tools/list",
    "tools/call",
    "resources/list",
    "ping",
    "notifications/cancelled",
    "prompts/get",
  ),
  fc.string(),
);
const id = fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double(), fc.object());
const rpcLike = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant("2.0"), fc.string()),
    id,
    method,
    params: fc.oneof(fc.jsonValue(), fc.object()),
  },
  { requiredKeys: [] },
);
const hostileBody = fc.oneof(
  rpcLike.map((m) => JSON.stringify(m)),
  fc.array(rpcLike, { maxLength: 5 }).map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.uint8Array({ maxLength: 200 }),
);

describe("hostile input into the HTTP endpoint", () => {
  beforeAll(async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { virt: virtualizationServer("testing", state) },
    });
    endpoint = `${warden.url}/mcp/virt`;
    const res = await fetch(endpoint, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INIT) });
    sessionId = res.headers.get("mcp-session-id") ?? "";
    await res.text();
    await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), sessionId);
  });
  afterAll(async () => {
    await warden.stop();
  });

  it("answers random bodies, with and without a session, without a server error", async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, fc.boolean(), async (body, withSession) => {
        const { status } = await post(body, withSession ? sessionId : undefined);
        expect(status).toBeLessThan(500);
      }),
      { seed: FUZZ_SEED, numRuns: runs(300) },
    );
    expect(warden.process.exitCode).toBeNull();
  });

  it("refuses 10,000-deep nesting and a 10 MB body, and survives a flood", async () => {
    const deep = `${'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":'}${"[".repeat(10_000)}${"]".repeat(10_000)}}}`;
    expect((await post(deep, sessionId)).status).toBeLessThan(500);
    expect((await post(`[${"1,".repeat(5_000_000)}1]`, sessionId)).status).toBe(413);
    const before = rssMb(warden.process.pid ?? 0);
    for (let round = 0; round < 20; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          post(JSON.stringify({ jsonrpc: "2.0", id: i, method: "ping" }), sessionId),
        ),
      );
      for (const s of statuses) expect(s.status).toBeLessThan(500);
    }
    expect(rssMb(warden.process.pid ?? 0) - before).toBeLessThan(150);
    const client = await warden.client("virt");
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
  });
});

describe("hostile input into mcp-warden connect", () => {
  it("answers random lines with JSON-RPC errors and still serves an initialize afterwards", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { virt: virtualizationServer("testing", state) },
    });
    try {
      const bridge = rawBridge(w, "virt");
      const lines = fc.sample(
        fc.oneof(
          fc.string().filter((s) => !s.includes("\n")),
          rpcLike.map((m) => JSON.stringify(m)),
        ),
        { seed: FUZZ_SEED, numRuns: runs(200) },
      );
      for (const line of lines) bridge.send(line);
      bridge.send(Buffer.alloc(9 * 1024 * 1024, 0x61).toString());
      bridge.send(initializeRequest("final"));
      await bridge.answer("final", "the final initialize to be answered");
      expect(bridge.exitCode()).toBeNull();
      expect(bridge.messages.some((m) => m.error?.code === -32700)).toBe(true);
      expect(bridge.messages.some((m) => m.error?.message?.includes("dropped"))).toBe(true);
      bridge.kill();
    } finally {
      await w.stop();
    }
  });
});
