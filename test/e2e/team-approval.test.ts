/**
 * A teammate's request in the approval prompt: Debian's chromium on Bob's `mcp-warden serve`, Alice's warden
 * beside it on one real redis-server, and a real SDK client asking on Alice's.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningRedis, startRedis } from "../helpers/redis.js";
import { aliceAndBob, claudeDesktop } from "../helpers/team-approval.js";
import { callTool, type RunningWarden, tempDir, textOf } from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";

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
    const redisUrl = redis.url;
    const [members, launched] = await Promise.all([
      aliceAndBob(redisUrl, () => ({ HOME: tempDir("warden-home-") })),
      launchBrowser(),
    ]);
    const { alice, bob } = members;
    browser = launched;
    wardens.push(alice, bob);
    const { page, errors } = await openUi(browser, bob.url, { route: "#/approvals" });

    const client = await claudeDesktop(alice);
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
