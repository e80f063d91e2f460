/**
 * A teammate's request in the approval prompt: Debian's chromium on Bob's `mcp-warden serve`, Alice's warden
 * beside it on one real redis-server, and a real SDK client asking on Alice's.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { memberDirs, type RunningRedis, startRedis, writeTeamSettings } from "../helpers/redis.js";
import {
  CLIENT_TOKEN,
  callTool,
  type RunningWarden,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";

const POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: { stop_vm: { action: "approve", approval: { team: true, others: true, timeout: "1m" } } },
});

let redis: RunningRedis | undefined;
let browser: Browser | undefined;
const wardens: RunningWarden[] = [];
const clients: Client[] = [];

describe.skipIf(!hasChromium)("a teammate's request in the prompt (needs /usr/bin/chromium)", () => {
  afterAll(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await browser?.close();
    await Promise.all(wardens.map((w) => w.stop()));
    await redis?.stop();
  });

  it("says whose warden holds the call and who asks on it", async () => {
    redis = await startRedis();
    const dirs = memberDirs(["alice", "bob"]);
    writeTeamSettings(dirs, redis.url);
    const started = await Promise.all([
      ...dirs.map((dir) =>
        startWarden({
          policy: POLICY,
          dataDir: dir.dataDir,
          servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
          env: { HOME: tempDir("warden-home-") },
        }),
      ),
      launchBrowser(),
    ]);
    const [alice, bob] = started.slice(0, 2) as RunningWarden[];
    browser = started[2] as Browser;
    if (!alice || !bob) throw new Error("no members");
    wardens.push(alice, bob);
    await waitFor(
      async () =>
        (await Promise.all([alice, bob].map((w) => w.api("getTeam")))).every((t) => t.state === "connected"),
      20_000,
      "both wardens connected to the team",
    );
    const { page, errors } = await openUi(browser, bob.url, { route: "#/approvals" });

    const client = new Client({ name: "claude-ai", title: "Claude Desktop", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${alice.url}/mcp/virt`), {
        requestInit: { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
      }),
    );
    clients.push(client);
    const call = callTool(client, "stop_vm", { vm_name: "dev-1" });
    await page.getByRole("heading", { level: 2, name: "Stop VM dev-1 on virt?" }).waitFor();
    expect(await page.locator(".approval-head .asker").textContent()).toBe(
      "Asked on alice's warden by Claude Desktop (grant: cli) · virt/stop_vm",
    );
    await screenshot(page, "approval-prompt-team");
    await page.getByRole("button", { name: /^Deny/ }).click();
    expect(textOf(await call)).toContain("bob (team) denied this call");
    expect(errors).toEqual([]);
  }, 120_000);
});
