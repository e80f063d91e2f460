/**
 * Upstream sign-in end to end in chromium: the Servers view of a real `mcp-warden serve` shows the server
 * needs sign-in; Sign in opens the local authorization server's consent page; Allow brings the browser back
 * to the warden's /oauth/callback; the view shows the server signed in and connected, calls go through, an
 * expired token is refreshed, Sign out puts it back to "sign-in needed", and no token is ever on a page.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OAuthFixture, startOAuthFixture } from "../helpers/oauth-fixture.js";
import { callTool, type RunningWarden, startWarden, tempDir, textOf } from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";

let fixture: OAuthFixture;
let warden: RunningWarden;
let browser: Browser;

describe.skipIf(!hasChromium)("upstream sign-in in chromium (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    fixture = await startOAuthFixture();
    [warden, browser] = await Promise.all([
      startWarden({
        policy: JSON.stringify({ version: "1", default: "allow" }),
        servers: { remote: { url: `${fixture.url}/mcp` } },
        env: { HOME: tempDir("warden-home-") },
      }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await warden?.stop();
    await fixture?.stop();
  });

  it("Sign in → consent → signed in and connected → calls work → refresh → Sign out", async () => {
    const { page, errors } = await openUi(browser, warden.url, { route: "#/servers" });
    const card = page.getByRole("region", { name: "remote" });
    await expect
      .poll(() => card.getByText("HTTP 401: the server needs sign-in").first().isVisible(), {
        timeout: 10_000,
      })
      .toBe(true);
    await expect.poll(() => card.locator(".badge").first().textContent()).toBe("sign-in-needed");

    const consentOpened = page.context().waitForEvent("page");
    await page.getByRole("button", { name: "Sign in to remote" }).click();
    const consent: Page = await consentOpened;
    await consent.getByRole("heading", { name: "Allow MCP Warden?" }).waitFor();
    expect(await consent.locator("#scope").textContent()).toBe("tools");
    await screenshot(consent, "oauth-consent");
    await consent.getByRole("button", { name: "Allow" }).click();
    await consent.getByText("Signed in to remote. You can close this tab.").waitFor();
    expect(new URL(consent.url()).origin).toBe(warden.url);

    await expect
      .poll(() => card.locator(".badge").first().textContent(), { timeout: 10_000 })
      .toBe("connected");
    await card.getByText(/^signed in \(scope tools\), token renews in \d+ (min|h)$/).waitFor();
    await screenshot(page, "oauth-signed-in");

    const client = await warden.client("remote");
    expect(textOf(await callTool(client, "whoami"))).toBe("whoami with scope tools");
    await fetch(`${fixture.url}/admin/expire`, { method: "POST" });
    expect(textOf(await callTool(client, "whoami"))).toBe("whoami with scope tools");
    const stats = await fixture.stats();
    expect(stats.refreshGrants).toBe(1);

    const shown = (await page.content()) + (await consent.content());
    for (const token of [...stats.issuedAccessTokens, ...stats.issuedRefreshTokens])
      expect(shown).not.toContain(token);

    await page.getByRole("button", { name: "Sign out of remote" }).click();
    await expect
      .poll(() => card.locator(".badge").first().textContent(), { timeout: 10_000 })
      .toBe("sign-in-needed");
    await page.getByRole("button", { name: "Sign in to remote" }).waitFor();
    expect(errors).toEqual([]);
  });
});
