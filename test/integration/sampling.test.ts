/** Sampling relayed: vm_agentic_workflow asks the client's model through the warden, as the real server does. */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLIENT_TOKEN,
  callTool,
  grantArgs,
  type RunningWarden,
  repoRoot,
  startWarden,
  tempDir,
  virtualizationServer,
} from "../helpers/warden.js";

let warden: RunningWarden | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await warden?.stop();
  warden = undefined;
});

const POLICY = JSON.stringify({ version: "1", default: "allow", tools: {} });

describe("sampling through the warden", () => {
  it("relays the server's sampling request to the calling client and its answer back", async () => {
    warden = await startWarden({
      policy: POLICY,
      servers: { virt: virtualizationServer("production", join(tempDir(), "v.json")) },
    });
    const client = new Client({ name: "sampler", version: "1" }, { capabilities: { sampling: {} } });
    const prompts: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      prompts.push(content && "text" in content ? String(content.text) : "");
      return {
        role: "assistant",
        model: "test-model",
        content: { type: "text", text: "Use 4096 MB and 2 CPUs." },
      };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${warden.url}/mcp/virt`), {
        requestInit: { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
      }),
    );
    clients.push(client);
    const result = await callTool(client, "vm_agentic_workflow", {
      action: "suggest_config",
      goal: "a CI runner",
    });
    expect(prompts[0]).toContain("a CI runner");
    expect(result.structuredContent).toMatchObject({
      success: true,
      data: { suggestion: "Use 4096 MB and 2 CPUs.", model: "test-model" },
    });
  });

  it("a client without sampling gets the server's own failure, not a hang", async () => {
    warden = await startWarden({
      policy: POLICY,
      servers: { virt: virtualizationServer("production", join(tempDir(), "v.json")) },
    });
    const client = await warden.client("virt");
    const result = await callTool(client, "vm_agentic_workflow", { action: "suggest_config", goal: "x" });
    expect(result.structuredContent).toMatchObject({ success: false });
    // The server itself sees that this client declared no sampling: its connection is the client's own.
    expect(String((result.structuredContent as { error?: string }).error)).toContain(
      "did not declare the sampling capability",
    );
  });
});

describe("sampling with several clients", () => {
  const fixture = {
    command: process.execPath,
    args: [join(repoRoot, "test", "fixtures", "sampling-server.mjs")],
  };

  async function sampler(url: string, token: string, name: string, asked: string[]): Promise<Client> {
    const client = new Client({ name, version: "1" }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      asked.push(content && "text" in content ? String(content.text) : "");
      return { role: "assistant", model: name, content: { type: "text", text: `answer from ${name}` } };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/fix`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  it("asks each client only about its own call, even with calls of both in flight", async () => {
    warden = await startWarden({
      policy: POLICY,
      servers: { fix: fixture },
      extraArgs: grantArgs("bob", "bob-token"),
    });
    const aliceAsked: string[] = [];
    const bobAsked: string[] = [];
    const alice = await sampler(warden.url, CLIENT_TOKEN, "alice", aliceAsked);
    const bob = await sampler(warden.url, "bob-token", "bob", bobAsked);
    const [aliceResult, bobResult] = await Promise.all([
      callTool(alice, "ask", { secret: "alice-password" }),
      callTool(bob, "ask", { secret: "bob-password" }),
    ]);
    expect(aliceAsked).toEqual(["summarise alice-password"]);
    expect(bobAsked).toEqual(["summarise bob-password"]);
    expect(JSON.stringify(aliceResult.content)).toContain("model said: answer from alice");
    expect(JSON.stringify(bobResult.content)).toContain("model said: answer from bob");
  });

  it("a client without sampling is never answered by another client that has a call in flight", async () => {
    warden = await startWarden({
      policy: POLICY,
      servers: { fix: fixture },
      extraArgs: grantArgs("bob", "bob-token"),
    });
    const aliceAsked: string[] = [];
    const alice = await sampler(warden.url, CLIENT_TOKEN, "alice", aliceAsked);
    const bob = new Client({ name: "bob", version: "1" });
    await bob.connect(
      new StreamableHTTPClientTransport(new URL(`${warden.url}/mcp/fix`), {
        requestInit: { headers: { authorization: "Bearer bob-token" } },
      }),
    );
    clients.push(bob);
    const slow = callTool(alice, "slow");
    const asked = await callTool(bob, "ask", { secret: "bob-password" });
    await slow;
    expect(aliceAsked).toEqual([]);
    expect(asked.isError).toBe(true);
    expect(JSON.stringify(asked.content)).toContain("sampling failed");
  });
});
