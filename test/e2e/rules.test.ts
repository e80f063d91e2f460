/**
 * Policy → Rules end to end: chromium against a real `mcp-warden serve` in front of the stand-in
 * virtualization server in production mode, whose tools are the real server's multi-action tools.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningWarden, startWarden, tempDir, virtualizationServer } from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";
import { fitsWidth, linesOf } from "./layout.js";

const POLICY = `${JSON.stringify(
  {
    version: "1",
    default: "approve",
    tools: {
      list_vms: { action: "allow" },
      get_vm_info: { action: "allow" },
      delete_vm: { action: "deny", reason: "Never from an agent" },
    },
  },
  null,
  2,
)}\n`;

let warden: RunningWarden;
let browser: Browser;
const pages: Page[] = [];

describe.skipIf(!hasChromium)("Policy → Rules in chromium (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    [warden, browser] = await Promise.all([
      startWarden({
        policy: POLICY,
        servers: { virt: virtualizationServer("production", join(tempDir(), "virt.json")) },
        env: { HOME: tempDir("warden-home-") },
      }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await warden?.stop();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  async function openRules(width: number, colorScheme: "light" | "dark" = "light") {
    const { page, errors } = await openUi(browser, warden.url, { width, colorScheme, route: "#/policy" });
    pages.push(page);
    await page.getByRole("tab", { name: "Rules" }).click();
    return { page, errors };
  }

  /** The row of one tool (or one action of it), once its decision is in. */
  function row(page: Page, name: string) {
    return page
      .locator(".rules-table tbody tr")
      .filter({ has: page.getByRole("rowheader", { name: `${name} virt`, exact: true }) });
  }

  it("shows each action of a multi-action tool as its own row, decided by the policy as a call with that action", async () => {
    const { page, errors } = await openRules(1280);
    const list = row(page, "vm_management list");
    await expect
      .poll(() => list.locator(".rule-decision .badge").textContent(), { timeout: 10_000 })
      .toBe("allow");
    expect(await list.getByText('tools["list_vms"]').count()).toBe(1);
    expect(await row(page, "vm_management info").locator("code").textContent()).toBe('tools["get_vm_info"]');
    const del = row(page, "vm_management delete");
    await expect.poll(() => del.getByText('tools["delete_vm"]').count(), { timeout: 10_000 }).toBe(1);
    expect(await del.getByText("deny", { exact: true }).count()).toBe(1);
    const start = row(page, "vm_management start");
    await expect.poll(() => start.locator("code").textContent(), { timeout: 10_000 }).toBe("default");
    expect(errors).toEqual([]);
  });

  it("Edit on one action edits the rule of its operation: allowing vm_management start leaves stop asking a human", async () => {
    const { page } = await openRules(1280);
    const start = row(page, "vm_management start");
    await expect
      .poll(() => start.locator(".rule-rule code").textContent(), { timeout: 10_000 })
      .toBe("default");
    await page.getByRole("button", { name: "Edit the rule for vm_management start on virt" }).click();
    const form = page.getByRole("form", { name: "Rule for start_vm" });
    await form.getByLabel("Action").selectOption("allow");
    await form.getByRole("button", { name: "Apply to edited policy" }).click();
    await expect
      .poll(() => start.locator(".rule-rule code").textContent(), { timeout: 10_000 })
      .toBe('tools["start_vm"]');
    expect(await start.locator(".rule-decision .badge").textContent()).toBe("allow");
    const stop = row(page, "vm_management stop");
    expect(await stop.locator(".rule-decision .badge").textContent()).toBe("ask a human");
    // An action no operation names is governed by the tool's own rule, and the form says so.
    await page
      .getByRole("button", { name: "Edit the rule for network_management list_networks on virt" })
      .click();
    await page
      .getByRole("form", { name: "Rule for network_management" })
      .getByText(/governs every action of network_management/)
      .waitFor();
  });

  for (const width of [1280, 420]) {
    it(`at ${width} px no tool name breaks inside a word and nothing overflows sideways`, async () => {
      const { page } = await openRules(width);
      const name = page.getByRole("rowheader", {
        name: "network_management list_networks virt",
        exact: true,
      });
      await name.waitFor({ timeout: 10_000 });
      await expect
        .poll(() => row(page, "network_management list_networks").locator(".rule-rule code").textContent(), {
          timeout: 10_000,
        })
        .toBe("default");
      expect(await linesOf(name.locator(".rule-tool"))).toBe(1);
      expect(await linesOf(name.locator(".rule-action"))).toBe(1);
      const panel = page.locator(".rules");
      expect(await panel.evaluate((el) => el.scrollHeight)).toBeLessThan(8_000);
      expect(await fitsWidth(page)).toBe(true);
      await screenshot(page, `rules-${width}-light`);
    });
  }
});
