/**
 * Every view at 1280 and 420 px in the light and dark themes, against a real `mcp-warden serve` in front
 * of the stand-in virtualization server in production mode, with recorded calls and one call waiting for
 * approval: a screenshot of each under test-output/screenshots, and nothing makes the page scroll sideways.
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
import { hasChromium, launchBrowser, openUi, screenshot, setEditorText } from "./browser.js";
import { fitsWidth, isCut } from "./layout.js";

const POLICY = {
  version: "1",
  default: "allow",
  tools: {
    list_vms: { action: "allow" },
    stop_vm: {
      action: "approve",
      reason: "Stopping a VM takes services offline",
      approval: { timeout: "10m" },
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" }],
    },
    delete_vm: { action: "deny", reason: "Never from an agent" },
  },
};
const text = (policy: object) => `${JSON.stringify(policy, null, 2)}\n`;

let warden: RunningWarden;
let browser: Browser;
let client: Client;
let waiting: Promise<unknown>;
const pages: Page[] = [];

/** How each view is reached and what says it is ready. */
const VIEWS: Record<string, (page: Page) => Promise<void>> = {
  calls: async (page) => {
    await page.locator(".call-list .call-row").nth(4).waitFor();
    // Times and decisions are never cut ("waiting for ap…"), at any width.
    for (const cell of await page.locator(".call-list .call-row").locator(".c-time, .c-status").all())
      expect(await isCut(cell)).toBe(false);
  },
  "call-details": async (page) => {
    await page.locator(".call-list .call-row").filter({ hasText: "no-such-vm" }).first().click();
    await page.locator(".details").getByText("tool error", { exact: true }).waitFor();
  },
  "policy-editor": async (page) => {
    await page
      .getByRole("link", { name: /^Policy/ })
      .first()
      .click();
    await setEditorText(page, text({ ...POLICY, default: "alow" }));
    await page
      .getByRole("region", { name: "Problems in the edited policy" })
      .getByRole("button")
      .first()
      .waitFor();
  },
  rules: async (page) => {
    await page
      .getByRole("link", { name: /^Policy/ })
      .first()
      .click();
    await page.getByRole("tab", { name: "Rules" }).click();
    await page.locator(".rules-table .rule-rule code", { hasText: 'tools["stop_vm"]' }).first().waitFor();
  },
  "dry-run": async (page) => {
    await page
      .getByRole("link", { name: /^Policy/ })
      .first()
      .click();
    await page.getByRole("tab", { name: "Dry run" }).click();
    const form = page.getByRole("form", { name: "Dry run" });
    await form.getByLabel("Tool").fill("vm_management");
    await form.getByLabel("Arguments (JSON)").fill('{ "action": "stop", "vm_name": "dev-db" }');
    await form.getByRole("button", { name: "Run dry run" }).click();
    const rule = page.locator(".dry-run-rule", { hasText: 'tools["stop_vm"]' });
    await rule.waitFor();
    await rule.scrollIntoViewIfNeeded();
  },
  replay: async (page) => {
    await page
      .getByRole("link", { name: /^Policy/ })
      .first()
      .click();
    await setEditorText(page, text({ ...POLICY, tools: { ...POLICY.tools, list_vms: { action: "deny" } } }));
    await page.getByText("No problems.").waitFor();
    await page.getByRole("tab", { name: "Replay" }).click();
    await page.getByRole("button", { name: "Replay recorded calls" }).click();
    const changed = page.locator(".replay-table tbody tr").first();
    await changed.waitFor();
    await changed.scrollIntoViewIfNeeded();
  },
  servers: async (page) => {
    await page
      .getByRole("link", { name: /^Servers/ })
      .first()
      .click();
    await page.getByText("connected", { exact: true }).first().waitFor();
  },
  "approval-prompt": async (page) => {
    await page
      .getByRole("link", { name: /^Approvals/ })
      .first()
      .click();
    await page.getByRole("button", { name: "Approve", exact: true }).waitFor();
  },
};

describe.skipIf(!hasChromium)(
  "every view at 1280 and 420 px, light and dark (needs /usr/bin/chromium)",
  () => {
    beforeAll(async () => {
      [warden, browser] = await Promise.all([
        startWarden({
          policy: text(POLICY),
          servers: { virt: virtualizationServer("production", join(tempDir(), "virt.json")) },
          env: { HOME: tempDir("warden-home-") },
        }),
        launchBrowser(),
      ]);
      client = await warden.client("virt");
      await callTool(client, "vm_management", { action: "list" });
      await callTool(client, "vm_management", { action: "info", vm_name: "no-such-vm" });
      await callTool(client, "vm_management", { action: "delete", vm_name: "dev-web" });
      await callTool(client, "storage_management", { action: "list_disks" });
      // One call waits for a human through every test, for the prompt (and its row in Live calls).
      waiting = callTool(client, "vm_management", { action: "stop", vm_name: "dev-db" }).catch(
        () => undefined,
      );
      await waitFor(async () => (await warden.api("listApprovals")).length === 1, 10_000, "stop_vm to wait");
    });

    afterAll(async () => {
      for (const pending of (await warden?.api("listApprovals")) ?? [])
        await warden.api("deny", { id: pending.id });
      await waiting;
      await browser?.close();
      await warden?.stop();
    });

    afterEach(async () => {
      for (const page of pages.splice(0)) await page.context().close();
    });

    for (const [view, show] of Object.entries(VIEWS)) {
      for (const width of [1280, 420]) {
        for (const colorScheme of ["light", "dark"] as const) {
          it(`${view} at ${width} px (${colorScheme}) does not scroll sideways`, async () => {
            const { page, errors } = await openUi(browser, warden.url, { width, colorScheme });
            pages.push(page);
            await show(page);
            expect(await fitsWidth(page)).toBe(true);
            await screenshot(page, `view-${view}-${width}-${colorScheme}`);
            expect(errors).toEqual([]);
          });
        }
      }
    }
  },
);
