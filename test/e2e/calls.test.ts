/**
 * Live calls end to end: chromium against a real `mcp-warden serve` in front of the stand-in
 * virtualization server in production mode (the real server's multi-action tools, whose failures are
 * `success: false` results), with a real MCP SDK client making the calls.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  callTool,
  type RunningWarden,
  startWarden,
  tempDir,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";
import { fitsWidth, isCut } from "./layout.js";

/** A server name as long as users give them. */
const SERVER = "virtualization-mcp";

const POLICY = `${JSON.stringify({
  version: "1",
  default: "allow",
  tools: { stop_vm: { action: "approve", reason: "Stopping a VM takes services offline" } },
})}\n`;

let warden: RunningWarden;
let browser: Browser;
let client: Client;
const pages: Page[] = [];

describe.skipIf(!hasChromium)("Live calls in chromium (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    [warden, browser] = await Promise.all([
      startWarden({
        policy: POLICY,
        servers: { [SERVER]: virtualizationServer("production", join(tempDir(), "virt.json")) },
        env: { HOME: tempDir("warden-home-") },
      }),
      launchBrowser(),
    ]);
    client = await warden.client(SERVER);
    await callTool(client, "storage_management", { action: "list_disks" });
    await callTool(client, "vm_management", { action: "info", vm_name: "no-such-vm" });
    // stop_vm asks a human: answered from the control API once it waits.
    const stopped = callTool(client, "vm_management", { action: "stop", vm_name: "dev-db" });
    await waitFor(async () => (await warden.api("listApprovals")).length === 1, 10_000, "stop_vm to wait");
    const [pending] = await warden.api("listApprovals");
    await warden.api("approve", { id: pending?.id ?? "" });
    await stopped;
  });

  afterAll(async () => {
    await browser?.close();
    await warden?.stop();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  async function openCalls(width: number, colorScheme: "light" | "dark" = "light") {
    const { page, errors } = await openUi(browser, warden.url, { width, colorScheme, route: "#/calls" });
    pages.push(page);
    await page.locator(".call-list .call-row").nth(2).waitFor();
    return { page, errors };
  }

  /** The row of the newest call of `tool` whose arguments mention `text`. */
  function row(page: Page, tool: string, text: string) {
    return page
      .locator(".call-list .call-row")
      .filter({ has: page.locator(".c-tool", { hasText: tool }) })
      .filter({ has: page.locator(".c-args", { hasText: text }) })
      .first();
  }

  it("an answer whose structured content says success: false is a tool error, with the tool's words in the details", async () => {
    const { page, errors } = await openCalls(1280);
    const failed = row(page, "vm_management", "no-such-vm");
    expect(await failed.locator(".c-outcome").textContent()).toBe("tool error");
    expect(await row(page, "storage_management", "list_disks").locator(".c-outcome").textContent()).toBe(
      "ok",
    );
    await failed.click();
    const details = page.locator(".details");
    await details.getByText("tool error", { exact: true }).waitFor();
    expect(await details.getByText(/no-such-vm/).count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("a call that asked a human shows the wait and the upstream's time apart, and they add up to no more than the whole", async () => {
    const [stop] = (await warden.api("listCalls", {})).filter((c) => c.operation === "stop_vm");
    expect(stop?.status).toBe("approved");
    expect(stop?.waitedMs).toBeGreaterThanOrEqual(0);
    expect(stop?.upstreamMs).toBeGreaterThanOrEqual(0);
    expect((stop?.waitedMs ?? 0) + (stop?.upstreamMs ?? 0)).toBeLessThanOrEqual(stop?.latencyMs ?? -1);
    const list = (await warden.api("listCalls", {})).find((c) => c.args.action === "list_disks");
    expect(list?.waitedMs).toBeUndefined();

    const { page } = await openCalls(1280);
    const stopRow = row(page, "vm_management", "dev-db");
    expect(await stopRow.locator(".c-waited").textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await stopRow.locator(".c-latency").textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await row(page, "storage_management", "list_disks").locator(".c-waited").textContent()).toBe("");
    await stopRow.click();
    const details = page.locator(".details");
    await details.getByText("Waited for a human", { exact: true }).waitFor();
    expect(await details.getByText("Upstream", { exact: true }).count()).toBe(1);
    expect(await details.getByText("In all", { exact: true }).count()).toBe(1);
  });

  it("at 1280 px the server and tool names are whole, with the details closed and open", async () => {
    const { page } = await openCalls(1280);
    const target = row(page, "storage_management", "list_disks");
    expect(await isCut(target.locator(".c-server"))).toBe(false);
    expect(await isCut(target.locator(".c-tool"))).toBe(false);
    await screenshot(page, "calls-1280-light");
    await target.click();
    await page.locator(".details").waitFor();
    expect(await isCut(target.locator(".c-server"))).toBe(false);
    expect(await isCut(target.locator(".c-tool"))).toBe(false);
    expect(await isCut(target.locator(".c-outcome"))).toBe(false);
    await screenshot(page, "call-details-1280-light");
  });

  for (const colorScheme of ["light", "dark"] as const) {
    it(`nothing overflows sideways at 420 px (${colorScheme}), the list nor the details, and a tool error still shows`, async () => {
      const { page } = await openCalls(420, colorScheme);
      expect(await fitsWidth(page)).toBe(true);
      // The Outcome column is hidden here: a tool error shows beside the decision instead, uncut.
      const failed = row(page, "vm_management", "no-such-vm").locator(".c-status");
      expect(await failed.locator(".outcome-tag").isVisible()).toBe(true);
      expect(await failed.textContent()).toBe("allowed tool error");
      expect(await isCut(failed)).toBe(false);
      await screenshot(page, `calls-420-${colorScheme}`);
      await row(page, "vm_management", "no-such-vm").click();
      await page.locator(".details").waitFor();
      expect(await fitsWidth(page)).toBe(true);
      await screenshot(page, `call-details-420-${colorScheme}`);
    });
  }
});
