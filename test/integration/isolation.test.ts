/**
 * Each client's traffic stays its own. A server's requests (elicitation, sampling) and notifications
 * (log lines) reach only the client whose call caused them; a client that did not offer a capability
 * is never answered for by another client that did. With `share: true` (one connection for all
 * clients) a server request that cannot be tied to one call is refused.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type ClientCapabilities,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLIENT_TOKEN,
  callTool,
  grantArgs,
  type RunningWarden,
  repoRoot,
  startWarden,
  textOf,
  waitFor,
} from "../helpers/warden.js";

const fixture = { command: process.execPath, args: [join(repoRoot, "test", "fixtures", "raw-server.mjs")] };
const ALLOW = JSON.stringify({ version: "1", default: "allow", tools: {} });

let warden: RunningWarden | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await warden?.stop();
  warden = undefined;
});

interface Seen {
  logs: string[];
  asked: string[];
}

async function connect(
  w: RunningWarden,
  token: string,
  capabilities: ClientCapabilities,
): Promise<{ client: Client; seen: Seen }> {
  const seen: Seen = { logs: [], asked: [] };
  const client = new Client({ name: `client-${token}`, version: "1" }, { capabilities });
  client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
    seen.logs.push(String(n.params.data));
  });
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      seen.asked.push(request.params.message);
      return { action: "accept", content: { ok: true } };
    });
  }
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${w.url}/mcp/fix`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return { client, seen };
}

async function twoClients(share = false) {
  warden = await startWarden({
    policy: ALLOW,
    servers: { fix: share ? { ...fixture, share: true } : fixture },
    extraArgs: grantArgs("bob", "bob-token"),
  });
  const alice = await connect(warden, CLIENT_TOKEN, { elicitation: {} });
  // Shared, both offer elicitation, so both sit on the one connection.
  const bob = await connect(warden, "bob-token", share ? { elicitation: {} } : {});
  return { alice, bob };
}

describe("one connection per client", () => {
  it("an elicitation raised by a client without elicitation is not answered by another client that has a call in flight", async () => {
    const { alice, bob } = await twoClients();
    const slow = callTool(alice.client, "slow", { ms: 1500 });
    const wiped = await callTool(bob.client, "confirm", { disk: "X" });
    await slow;
    expect(alice.seen.asked).toEqual([]);
    expect(textOf(wiped)).toContain("elicitation failed");
    expect(textOf(wiped)).toContain("does not support elicitation");
  });

  it("an elicitation reaches the client whose call raised it", async () => {
    const { alice, bob } = await twoClients();
    const slow = callTool(bob.client, "slow", { ms: 1500 });
    const answer = await callTool(alice.client, "confirm", { disk: "Y" });
    await slow;
    expect(alice.seen.asked).toEqual(["Really wipe disk Y?"]);
    expect(textOf(answer)).toBe("answer: accept");
  });

  it("a log line sent during one client's call reaches that client only, even from a server that declares no logging", async () => {
    const { alice, bob } = await twoClients();
    await callTool(bob.client, "log", { who: "bob" });
    await callTool(alice.client, "log", { who: "alice" });
    expect(bob.seen.logs).toEqual(["log for bob"]);
    expect(alice.seen.logs).toEqual(["log for alice"]);
  });
});

describe("a server marked share: true", () => {
  it("refuses a server request that cannot be tied to one client's call", async () => {
    const { alice, bob } = await twoClients(true);
    const slow = callTool(bob.client, "slow", { ms: 3000 });
    const w = warden as RunningWarden;
    // Bob's call is on its way to the server (decided and logged) before Alice's question is raised.
    await waitFor(
      async () => (await w.api("listCalls", {})).some((c) => c.tool === "slow"),
      10_000,
      "Bob's call",
    );
    const answer = await callTool(alice.client, "confirm", { disk: "Z" });
    await slow;
    expect(alice.seen.asked).toEqual([]);
    expect(bob.seen.asked).toEqual([]);
    expect(textOf(answer)).toContain("cannot be tied to one client's request");
  });
});
