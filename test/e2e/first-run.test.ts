/**
 * The first run end to end: chromium against a real `mcp-warden serve` with no servers and no client
 * configs, then with `--demo`. The snippet the empty Live calls view offers is copied from the page and
 * used as a client would: the Claude Desktop one runs the real `mcp-warden connect` bridge, the Cursor one
 * is the URL a real SDK client connects to.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningWarden, startWarden, tempDir } from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot } from "./browser.js";
import { fitsWidth } from "./layout.js";

let browser: Browser;
let bare: RunningWarden;
let demo: RunningWarden;
const pages: Page[] = [];
const clients: Client[] = [];

describe.skipIf(!hasChromium)("the first run in chromium (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    [bare, demo, browser] = await Promise.all([
      startWarden({ servers: {}, env: { HOME: tempDir("warden-home-") } }),
      startWarden({ servers: {}, extraArgs: ["--demo"], env: { HOME: tempDir("warden-home-") } }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    for (const client of clients) await client.close();
    await browser?.close();
    await Promise.all([bare?.stop(), demo?.stop()]);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  async function open(warden: RunningWarden, width: number, colorScheme: "light" | "dark" = "light") {
    const { page, errors } = await openUi(browser, warden.url, { width, colorScheme });
    pages.push(page);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: warden.url });
    return { page, errors };
  }

  /** Copies a client's snippet with its Copy button and reads it back from the clipboard. */
  async function copied(
    page: Page,
    label: string,
  ): Promise<Record<string, Record<string, Record<string, unknown>>>> {
    await page.getByRole("tab", { name: label }).click();
    await page.getByRole("button", { name: `Copy the ${label} configuration` }).click();
    await page.getByText("Copied to the clipboard").waitFor();
    return JSON.parse((await page.evaluate("navigator.clipboard.readText()")) as string);
  }

  for (const width of [1280, 420]) {
    it(`with no servers, Live calls says where to add one (${width} px)`, async () => {
      const { page, errors } = await open(bare, width);
      const next = page.getByRole("region", { name: "No calls yet: the warden has no servers to guard" });
      await next.waitFor();
      expect(await next.getByRole("link", { name: "Servers" }).count()).toBe(1);
      expect(await next.getByText("servers.json").count()).toBe(1);
      expect(await fitsWidth(page)).toBe(true);
      await screenshot(page, `first-run-no-servers-${width}-light`);
      expect(errors).toEqual([]);
    });
  }

  it("with --demo, the Claude Desktop snippet copied from the page runs the connect bridge a client can list tools through", async () => {
    const { page, errors } = await open(demo, 1280);
    const next = page.getByRole("region", { name: "No calls yet: connect an agent" });
    await next.locator("pre").waitFor();
    for (const label of ["Claude Desktop", "Cursor", "Claude Code", "VS Code"])
      expect(await next.getByRole("tab", { name: label }).count()).toBe(1);
    // On screen the token is masked; the copy holds the whole one.
    const [grant] = (await demo.api("listGrants")).filter((g) => !g.fromCommandLine);
    expect(grant).toBeDefined();
    expect(await next.locator("pre").textContent()).not.toContain(grant?.token);
    await screenshot(page, "first-run-demo-1280-light");

    const entry = (await copied(page, "Claude Desktop")).mcpServers?.["virtualization-demo"];
    expect(entry?.args).toContain("connect");
    const env = entry?.env as Record<string, string>;
    expect(env.MCP_WARDEN_TOKEN).toBe(grant?.token);
    const bridge = new Client({ name: "claude-desktop-stand-in", version: "1.0.0" });
    await bridge.connect(
      new StdioClientTransport({
        command: String(entry?.command),
        args: entry?.args as string[],
        env: { ...(process.env as Record<string, string>), ...env },
      }),
    );
    clients.push(bridge);
    expect((await bridge.listTools()).tools.map((t) => t.name)).toContain("list_vms");

    const cursor = (await copied(page, "Cursor")).mcpServers?.["virtualization-demo"];
    const http = new Client({ name: "cursor-stand-in", version: "1.0.0" });
    await http.connect(
      new StreamableHTTPClientTransport(new URL(String(cursor?.url)), {
        requestInit: { headers: cursor?.headers as Record<string, string> },
      }),
    );
    clients.push(http);
    expect((await http.listTools()).tools.length).toBeGreaterThan(0);

    const vscode = await copied(page, "VS Code");
    expect(Object.keys(vscode.servers ?? {})).toEqual(["virtualization-demo"]);
    expect(errors).toEqual([]);
  });

  for (const colorScheme of ["light", "dark"] as const) {
    it(`with --demo, the next step fits 420 px (${colorScheme})`, async () => {
      const { page } = await open(demo, 420, colorScheme);
      await page.getByRole("region", { name: "No calls yet: connect an agent" }).locator("pre").waitFor();
      expect(await fitsWidth(page)).toBe(true);
      await screenshot(page, `first-run-demo-420-${colorScheme}`);
    });
  }
});
