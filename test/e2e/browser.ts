/**
 * Browser helpers for the end-to-end tests: Debian's chromium driven by playwright-core, opening the UI that
 * a real `mcp-warden serve` serves, and screenshots under test-output/screenshots (not committed).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { ADMIN_TOKEN, repoRoot } from "../helpers/warden.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const SCREENSHOTS = join(repoRoot, "test-output", "screenshots");

/** Starts headless chromium with the flags this machine type needs, in a fresh profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export interface OpenOptions {
  width?: number;
  height?: number;
  colorScheme?: "light" | "dark";
  /** A route to go to once the token has been taken from the address (e.g. `#/policy`). */
  route?: string;
  /** The sign-in link to open (default: a fresh one). */
  link?: string;
}

/** A fresh sign-in link (`/#code=…`), as `mcp-warden ui` asks the warden for one with the admin token. */
export async function signInLink(url: string): Promise<string> {
  const res = await fetch(`${url}/auth/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (!res.ok) throw new Error(`no sign-in code: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { url: string }).url;
}

/**
 * Opens the UI the way a user does, with a sign-in link like the one `serve` prints (`/#code=…`), and
 * collects page errors so a test can assert there were none.
 */
export async function openUi(
  browser: Browser,
  url: string,
  options: OpenOptions = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 820 },
    colorScheme: options.colorScheme ?? "light",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(options.link ?? (await signInLink(url)));
  await page.getByRole("switch", { name: "Deny all" }).waitFor();
  if (options.route)
    await page
      .getByRole("link", { name: routeName(options.route) })
      .first()
      .click();
  return { page, errors };
}

function routeName(route: string): RegExp {
  const names: Record<string, RegExp> = {
    "#/calls": /^Live calls/,
    "#/approvals": /^Approvals/,
    "#/policy": /^Policy/,
    "#/servers": /^Servers/,
  };
  const name = names[route];
  if (!name) throw new Error(`no link for ${route}`);
  return name;
}

/** Saves a screenshot as test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Replaces the policy editor's text as a paste would (CodeMirror sees one input of the whole text). */
export async function setEditorText(page: Page, text: string): Promise<void> {
  const content = page.locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}
