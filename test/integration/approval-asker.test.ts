/**
 * Who asks, at the approval moment, through a real `mcp-warden serve`: the client's own name from its
 * handshake (a legacy SDK client's `initialize`, a 2026-07-28 client's per-request `_meta`) travels with the
 * pending approval beside the grant it came with.
 */
import { join } from "node:path";
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { askerLine } from "../../shared/approval-text.js";
import { type EventWatch, watchEvents } from "../helpers/events.js";
import {
  callTool,
  grantArgs,
  type RunningWarden,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
} from "../helpers/warden.js";

const TOKEN = "desktop-grant-token-for-tests";
const POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: { stop_vm: { action: "approve", approval: { timeout: "2m" } } },
});

let warden: RunningWarden | undefined;
let events: EventWatch | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  events?.close();
  await warden?.stop();
  warden = undefined;
});

async function start(): Promise<RunningWarden> {
  warden = await startWarden({
    policy: POLICY,
    servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
    extraArgs: grantArgs("default", TOKEN),
  });
  events = await watchEvents(warden);
  return warden;
}

async function legacyClient(w: RunningWarden, info: { name: string; title?: string }): Promise<Client> {
  const client = new Client({ ...info, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${w.url}/mcp/virt`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  closers.push(() => client.close());
  return client;
}

describe("who asks for approval", () => {
  it("a legacy client is named by its handshake's title, with the grant beside it", async () => {
    const w = await start();
    const client = await legacyClient(w, { name: "claude-ai", title: "Claude Desktop" });
    const call = callTool(client, "stop_vm", { vm_name: "dev-1" });
    const approval = await events?.next("approvalAdded");
    expect(approval?.client).toBe("default");
    expect(approval?.clientName).toBe("Claude Desktop");
    expect(approval && askerLine(approval)).toBe("Asked by Claude Desktop (grant: default) · virt/stop_vm");
    expect((await w.api("listApprovals"))[0]?.clientName).toBe("Claude Desktop");
    await w.api("deny", { id: approval?.id ?? "" });
    expect(textOf(await call)).toContain("denied");
  }, 60_000);

  it("a 2026-07-28 client is named by the clientInfo of its request's _meta", async () => {
    const w = await start();
    const client = new ClientV2(
      { name: "cursor-agent", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new HttpV2(new URL(`${w.url}/mcp/virt`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    closers.push(() => client.close());
    const call = client.callTool({ name: "stop_vm", arguments: { vm_name: "dev-2" } });
    const approval = await events?.next("approvalAdded");
    expect(approval?.clientName).toBe("cursor-agent");
    expect(approval && askerLine(approval)).toBe("Asked by cursor-agent (grant: default) · virt/stop_vm");
    await w.api("deny", { id: approval?.id ?? "" });
    await call;
  }, 60_000);
});
