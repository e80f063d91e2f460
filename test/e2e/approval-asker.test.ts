/**
 * The approval prompt says who asks as a person would: Debian's chromium against a real `mcp-warden serve`,
 * a real SDK client that introduces itself in its handshake; and how many such calls it made recently.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  callTool,
  grantArgs,
  type RunningWarden,
  startWarden,
  tempDir,
  virtualizationServer,
} from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";

const TOKEN = "desktop-grant-token-for-tests";
const POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    stop_vm: { action: "approve", approval: { timeout: "2m" } },
    pause_vm: { action: "approve", approval: { timeout: "2m" } },
    reset_vm: {
      action: "approve",
      approval: { timeout: "2m" },
      limits: [{ counter: "resets", window: "minute", max: 10, scope: "grant" }],
    },
  },
});

let warden: RunningWarden;
let browser: Browser;
const pages: Page[] = [];
const clients: Client[] = [];

async function desktopClient(): Promise<Client> {
  const client = new Client({ name: "claude-ai", title: "Claude Desktop", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${warden.url}/mcp/virt`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  clients.push(client);
  return client;
}

describe.skipIf(!hasChromium)("who asks, in the approval prompt (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    [warden, browser] = await Promise.all([
      startWarden({
        policy: POLICY,
        servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
        extraArgs: grantArgs("default", TOKEN),
        env: { HOME: tempDir("warden-home-") },
      }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await browser?.close();
    await warden?.stop();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
    for (const pending of await warden.api("listApprovals")) await warden.api("deny", { id: pending.id });
  });

  it("names the client by its handshake, with the grant beside it, in the prompt and its queue", async () => {
    const { page, errors } = await openUi(browser, warden.url, { route: "#/approvals" });
    pages.push(page);
    const client = await desktopClient();
    const calls = ["dev-web", "dev-db"].map((vm_name) => callTool(client, "stop_vm", { vm_name }));
    await page.getByRole("heading", { name: "Stop VM dev-web on virt?" }).waitFor();
    expect(await page.locator(".approval-head .asker").textContent()).toBe(
      "Asked by Claude Desktop (grant: default) · virt/stop_vm",
    );
    const queue = page.getByRole("list", { name: "Waiting for approval (2)" });
    await queue.waitFor();
    expect(await queue.locator(".queue-meta").allTextContents()).toEqual([
      expect.stringMatching(/^Claude Desktop \(grant: default\) · /),
      expect.stringMatching(/^Claude Desktop \(grant: default\) · /),
    ]);
    await screenshot(page, "approval-prompt-asker");
    for (const pending of await warden.api("listApprovals")) await warden.api("deny", { id: pending.id });
    await Promise.all(calls);
    expect(errors).toEqual([]);
  });

  it("says how many such calls this client made in the last minute, and what a limit leaves", async () => {
    const { page, errors } = await openUi(browser, warden.url, { route: "#/approvals" });
    pages.push(page);
    const client = await desktopClient();
    const calls = [
      callTool(client, "pause_vm", { vm_name: "dev-1" }),
      callTool(client, "pause_vm", { vm_name: "dev-2" }),
    ];
    const queue = page.getByRole("list", { name: "Waiting for approval (2)" });
    await queue.getByRole("button").filter({ hasText: "dev-2" }).click();
    await page.getByRole("heading", { level: 2, name: "Pause VM dev-2 on virt?" }).waitFor();
    // No limit counts pause_vm: the line is there all the same.
    expect(await page.locator(".limit-line").textContent()).toBe(
      "2nd pause_vm from this client in the last minute",
    );
    for (const pending of await warden.api("listApprovals")) await warden.api("deny", { id: pending.id });
    await Promise.all(calls);

    const reset = callTool(client, "reset_vm", { vm_name: "dev-3" });
    await page.getByRole("heading", { level: 2, name: /dev-3 on virt\?$/ }).waitFor();
    expect(await page.locator(".limit-line").textContent()).toBe(
      "1st reset_vm from this client in the last minute; 9 left of 10",
    );
    await screenshot(page, "approval-prompt-recent-calls");
    for (const pending of await warden.api("listApprovals")) await warden.api("deny", { id: pending.id });
    await reset;
    expect(errors).toEqual([]);
  });
});
