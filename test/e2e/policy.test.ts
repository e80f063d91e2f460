/**
 * The policy editor end to end: chromium against a real `mcp-warden serve` in front of the stand-in
 * virtualization server, with a real MCP SDK client making the calls that replay decides again.
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
} from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot, setEditorText } from "./browser.js";
import { fitsWidth, linesOf } from "./layout.js";

function policy(listVms: "allow" | "deny"): string {
  return `${JSON.stringify(
    { version: "1", default: "allow", tools: { list_vms: { action: listVms, reason: "Listing is off" } } },
    null,
    2,
  )}\n`;
}

let warden: RunningWarden;
let browser: Browser;
let client: Client;
const pages: Page[] = [];

describe.skipIf(!hasChromium)("the policy editor in chromium (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    [warden, browser] = await Promise.all([
      startWarden({
        policy: policy("allow"),
        servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
        env: { HOME: tempDir("warden-home-") },
      }),
      launchBrowser(),
    ]);
    client = await warden.client("virt");
  });

  afterAll(async () => {
    await browser?.close();
    await warden?.stop();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  async function openPolicy(width: number, colorScheme: "light" | "dark" = "light") {
    const { page, errors } = await openUi(browser, warden.url, { width, colorScheme, route: "#/policy" });
    pages.push(page);
    await page.locator(".cm-content").waitFor();
    return { page, errors };
  }

  it("Save is off while the editor shows errors, its title says why, and it comes back once they are fixed", async () => {
    const { page, errors } = await openPolicy(1280);
    const save = page.getByRole("button", { name: "Save", exact: true });
    await setEditorText(page, policy("allow").replace('"allow"', '"alow"'));
    await page
      .getByRole("region", { name: "Problems in the edited policy" })
      .getByRole("button")
      .first()
      .waitFor();
    expect(await save.isDisabled()).toBe(true);
    expect(await save.getAttribute("title")).toMatch(/^Fix the (error|\d+ errors) under the editor to save$/);
    await screenshot(page, "policy-editor-errors-1280-light");
    await setEditorText(page, policy("deny"));
    await page.getByText("No problems.").waitFor();
    await expect.poll(() => save.isEnabled(), { timeout: 5_000 }).toBe(true);
    expect(await save.getAttribute("title")).toBe("Save and apply (Ctrl+S)");
    expect(errors).toEqual([]);
  });

  for (const width of [1280, 420]) {
    it(`replay's times stay on one line at ${width} px`, async () => {
      await callTool(client, "list_vms");
      const { page } = await openPolicy(width);
      await setEditorText(page, policy("deny"));
      await page.getByRole("tab", { name: "Replay" }).click();
      await page.getByRole("button", { name: "Replay recorded calls" }).click();
      const time = page.locator(".replay-table tbody tr time").first();
      await time.waitFor();
      expect(await time.textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
      expect(await linesOf(time)).toBe(1);
      expect(await fitsWidth(page)).toBe(true);
      await time.scrollIntoViewIfNeeded();
      await screenshot(page, `replay-${width}-light`);
    });
  }
});
