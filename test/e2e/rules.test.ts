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
    await expect.poll(() => del.getByText('tools["delete_vm"]').count()).toBe(1);
    expect(await del.getByText("deny", { exact: true }).count()).toBe(1);
    const start = row(page, "vm_management start");
    await expect.poll(() => start.locator("code").textContent()).toBe("default");
    expect(errors).toEqual([]);
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
        .poll(() => row(page, "network_management list_networks").locator(".rule-rule code").textContent())
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
