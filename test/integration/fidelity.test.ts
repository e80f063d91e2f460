/**
 * A faithful relay: what a server sends reaches the client byte for byte, and what the client sends
 * reaches the server byte for byte (only ids and progress tokens are the warden's own on the way).
 * Each answer is compared with the same request sent straight to the same server over stdio.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type RawHttpSession,
  type RunningWarden,
  rawBridge,
  rawHttpSession,
  rawStdioServer,
  repoRoot,
  startWarden,
  waitFor,
} from "../helpers/warden.js";

const fixture = join(repoRoot, "test", "fixtures", "raw-server.mjs");
const server = { command: process.execPath, args: [fixture] };
const ALLOW = JSON.stringify({ version: "1", default: "allow", tools: {} });

let warden: RunningWarden | undefined;
const direct: ReturnType<typeof rawStdioServer>[] = [];
afterEach(async () => {
  for (const d of direct.splice(0)) d.close();
  await warden?.stop();
  warden = undefined;
});

/** The fixture without the warden, initialized. */
async function straight(): Promise<ReturnType<typeof rawStdioServer>> {
  const d = rawStdioServer(process.execPath, [fixture]);
  direct.push(d);
  await d.request(
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}',
    0,
  );
  return d;
}

const call = (id: number, name: string, args = "{}", extra = "") =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${args}${extra}}}`;

async function both(): Promise<{
  d: ReturnType<typeof rawStdioServer>;
  s: RawHttpSession;
  w: RunningWarden;
}> {
  warden = await startWarden({ policy: ALLOW, servers: { raw: server } });
  const s = await rawHttpSession(`${warden.url}/mcp/raw`);
  return { d: await straight(), s, w: warden };
}

describe("byte fidelity through the warden", () => {
  it("a result with big integers, 1.0, escapes, unknown fields and an unknown content type arrives unchanged", async () => {
    const { d, s, w } = await both();
    const expected = await d.request(call(5, "exact"), 5);
    expect(expected).toContain("18446744073709551616");
    expect(expected).toContain('"float":1.0');
    expect(expected).toContain('"type":"video"');
    const through = await s.post(call(5, "exact"));
    expect(through.texts).toEqual([expected]);

    const bridge = rawBridge(w, "raw");
    bridge.send(
      '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}',
    );
    await bridge.answer(0);
    bridge.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    bridge.send(call(5, "exact"));
    await waitFor(() => bridge.lines().some((l) => l.includes('"id":5')), 20_000, "the bridge's answer");
    expect(bridge.lines().find((l) => l.includes('"id":5'))).toBe(expected);
    bridge.kill();
  });

  it("the client's arguments, extra params fields and _meta reach the server unchanged", async () => {
    const { d, s, w } = await both();
    const args = '{"n":18446744073709551616,"f":1.0,"s":"caf\\u00e9"}';
    const extra = ',"x-extra":{"k":[1.0,2]},"_meta":{"vendor.example/trace":"t-1"}';
    const expected = await d.request(call(6, "echo", args, extra), 6);
    expect(expected).toContain(`"received":{"name":"echo","arguments":${args}${extra}}`);
    expect((await s.post(call(6, "echo", args, extra))).texts).toEqual([expected]);
    // The audit log keeps the arguments as they were sent, too.
    const audit = readFileSync(join(w.dataDir, "audit.jsonl"), "utf8");
    expect(audit).toContain(`"args":${args}`);
  });

  it("a progress token is the one thing the warden puts in the client's _meta, and progress maps back", async () => {
    const { s } = await both();
    const extra = ',"_meta":{"progressToken":"client-token-1","vendor.example/k":1.0}';
    const [answer] = (await s.post(call(7, "echo", "{}", extra))).texts;
    expect(answer).toMatch(/"_meta":\{"progressToken":\d+,"vendor\.example\/k":1\.0\}/);
  });

  it("the server's own error is relayed as it sent it", async () => {
    const { d, s } = await both();
    const expected = await d.request(call(8, "fail"), 8);
    expect(expected).toBe(
      '{"jsonrpc":"2.0","id":8,"error":{"code":-32000,"message":"disk on fire","data":{"n":1.0}}}',
    );
    expect((await s.post(call(8, "fail"))).texts).toEqual([expected]);
  });

  it("the initialize answer keeps the server's own fields, and says the warden announces list changes", async () => {
    const { s } = await both();
    expect(s.initializeText).toContain('"serverInfo":{"name":"raw-fixture","version":"1.0.0"}');
    expect(s.initializeText).toContain('"_meta":{"vendor.example/n":1.0}');
    expect(s.initializeText).toContain('"tools":{"listChanged":true}');
  });

  it("a 30 MiB result arrives byte for byte", async () => {
    const { d, s } = await both();
    const expected = await d.request(call(9, "big", '{"mib":30}'), 9);
    expect(expected.length).toBeGreaterThan(30 * 1024 * 1024);
    const [through] = (await s.post(call(9, "big", '{"mib":30}'))).texts;
    expect(through?.length).toBe(expected.length);
    expect(through === expected).toBe(true);
  });
});

describe("a result over the server's message cap", () => {
  it("fails that call alone with a clear error; the calls beside it and the server carry on", async () => {
    warden = await startWarden({
      policy: ALLOW,
      servers: { raw: { ...server, maxMessageBytes: 1024 * 1024 } },
    });
    const s = await rawHttpSession(`${warden.url}/mcp/raw`);
    const slow = s.post(call(1, "slow", '{"ms":1500}'));
    const big = await s.post(call(2, "big", '{"mib":2}'));
    expect(big.texts[0]).toContain('"id":2,"error"');
    expect(big.texts[0]).toContain("over the 1048576-byte cap");
    expect((await slow).texts[0]).toContain("slow done");
    expect((await s.post(call(3, "exact"))).texts[0]).toContain("18446744073709551616");
    expect((await warden.api("listServers"))[0]).toMatchObject({ state: "connected", restarts: 0 });
  });
});
