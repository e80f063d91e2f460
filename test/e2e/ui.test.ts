/**
 * The UI end to end: Debian's chromium (playwright-core) against a real `mcp-warden serve` in front of the
 * stand-in virtualization server, with a real MCP SDK client making the calls.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type CallToolResult, CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DENIAL_PREFIX } from "../../shared/contract.js";
import {
  CLIENT_TOKEN,
  callTool,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
} from "../helpers/warden.js";
import { hasChromium, launchBrowser, openUi, screenshot, setEditorText, signInLink } from "./browser.js";

/** The policy the tests start from; `timeout` is stop_vm's approval timeout. */
function policy(timeout = "60s", extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify(
    {
      version: "1",
      default: "deny",
      tools: {
        list_vms: { action: "allow" },
        stop_vm: {
          action: "approve",
          reason: "Stopping a VM takes services offline",
          approval: { timeout },
          limits: [{ counter: "stop_vm_rate", window: "minute", max: 100, scope: "grant" }],
        },
        delete_vm: { action: "deny", reason: "Never from an agent" },
        ...extra,
      },
    },
    null,
    2,
  )}\n`;
}

let warden: RunningWarden;
let browser: Browser;
let client: Client;
let stateFile: string;
const pages: Page[] = [];

describe.skipIf(!hasChromium)("the UI in chromium against mcp-warden serve (needs /usr/bin/chromium)", () => {
  beforeAll(async () => {
    stateFile = join(tempDir(), "virt.json");
    [warden, browser] = await Promise.all([
      startWarden({
        policy: policy(),
        servers: { virt: virtualizationServer("testing", stateFile) },
        // A home with no MCP client configs, so the Clients panel does not read this machine's.
        env: { HOME: tempDir("warden-home-") },
      }),
      launchBrowser(),
    ]);
    const index = await fetch(`${warden.url}/`);
    if (index.status !== 200) {
      throw new Error(
        `serve does not serve the UI at / (HTTP ${index.status}); run npm run build, which builds dist/ui`,
      );
    }
    client = await warden.client("virt");
  });

  afterAll(async () => {
    await browser?.close();
    await warden?.stop();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
    // A failed test must not leave a call waiting for the next one's prompt.
    for (const pending of await warden.api("listApprovals")) await warden.api("deny", { id: pending.id });
    await warden.api("setDenyAll", { on: false });
    await warden.api("savePolicy", { text: policy() });
  });

  async function open(options: Parameters<typeof openUi>[2] = {}) {
    const { page, errors } = await openUi(browser, warden.url, options);
    pages.push(page);
    return { page, errors };
  }

  /** The prompt's Approve button, once it is armed. */
  async function armedApprove(page: Page) {
    const approve = page.getByRole("button", { name: "Approve", exact: true });
    await expect.poll(() => approve.isEnabled(), { timeout: 5_000 }).toBe(true);
    return approve;
  }

  it("strips the sign-in code from the address bar; a reload stays signed in; the used link is refused", async () => {
    const link = await signInLink(warden.url);
    const { page, errors } = await open({ link });
    expect(page.url()).not.toContain("code=");
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([
      [`mcp-warden-${new URL(warden.url).port}`, true, "Strict", "/"],
    ]);
    await page.reload();
    await page.getByRole("switch", { name: "Deny all" }).waitFor();
    expect(await page.getByText(/is not signed in/).count()).toBe(0);
    // The same link again, in a browser that holds no session: the code was spent.
    const stranger = await browser.newContext();
    pages.push(await stranger.newPage());
    const again = pages.at(-1) as Page;
    await again.goto(link);
    await again.getByText(/is not signed in/).waitFor();
    expect(await again.getByRole("switch", { name: "Deny all" }).count()).toBe(0);
    await page.getByRole("link", { name: /^Servers/ }).click();
    await expect.poll(() => page.getByText("connected", { exact: true }).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText(`${warden.url}/mcp/virt`, { exact: true }).count()).toBe(1);
    await screenshot(page, "servers");

    // Each tool's risk; a portmanteau tool's actions, each with its level.
    const virt = page.getByRole("region", { name: "virt" });
    await virt.getByText(/^Tools \(/).click();
    const stopVm = virt
      .locator(".tool-item")
      .filter({ has: page.locator(".tool-line > code", { hasText: /^stop_vm$/ }) });
    expect(await stopVm.locator(".risk").first().textContent()).toBe("risk: high (destructive)");
    await virt.getByText("actions of vm_management").click();
    const actions = virt.getByRole("list", { name: "Actions of vm_management" });
    const stop = actions.getByRole("listitem").filter({ has: page.getByText("stop", { exact: true }) });
    expect(await stop.locator(".risk").textContent()).toBe("high");
    await virt.locator(".tool-item").filter({ hasText: "vm_management" }).first().scrollIntoViewIfNeeded();
    await screenshot(page, "servers-tools");
    expect(errors).toEqual([]);
  });

  it("an SDK client's stop_vm waits, the prompt shows it, Approve lets it through to the upstream", async () => {
    const { page, errors } = await open({ route: "#/approvals" });
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    await page.getByRole("heading", { name: "Stop VM dev-web on virt?" }).waitFor();
    const args = page.locator(".approval-args");
    expect(await args.textContent()).toContain('"vm_name": "dev-web"');
    expect(await page.getByText('tools["stop_vm"]').count()).toBe(1);
    expect(await page.getByText("Stopping a VM takes services offline").count()).toBe(1);
    expect(await page.getByRole("timer").textContent()).toMatch(/Denied automatically in (1:00|0:[0-5]\d)/);
    expect(readState(stateFile).vms["dev-web"]?.state).toBe("running");
    await screenshot(page, "approval-prompt");

    await (await armedApprove(page)).click();
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ success: true });
    expect(readState(stateFile).vms["dev-web"]?.state).toBe("poweroff");
    await page.getByText("No call is waiting for your approval.").waitFor();
    expect(await page.getByRole("status").textContent()).toBe("Stop VM dev-web on virt: approved by you.");
    expect(errors).toEqual([]);
  });

  it("Deny refuses the call: the client is told a human denied it and the upstream never sees it", async () => {
    const { page } = await open({ route: "#/approvals" });
    const before = readState(stateFile).calls.length;
    const call = callTool(client, "stop_vm", { vm_name: "dev-db" });
    await page.getByRole("heading", { name: "Stop VM dev-db on virt?" }).waitFor();
    await page.getByRole("button", { name: /^Deny/ }).click();
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("a human denied this call");
    expect(readState(stateFile).calls).toHaveLength(before);

    await page.getByRole("link", { name: /^Live calls/ }).click();
    const row = page.getByRole("listitem").filter({ hasText: "dev-db" }).first();
    // A human's no is "denied", as in the prompt; the policy's own refusals say "denied by policy".
    await expect.poll(() => row.locator(".badge").first().textContent()).toBe("denied");
    await row.getByRole("button").click();
    const details = page.getByRole("region", { name: /stop_vm/ });
    expect(await details.textContent()).toContain("a human denied this call");
    await screenshot(page, "live-calls");
  });

  it("no answer before the timeout denies the call, and the prompt says so by name", async () => {
    await warden.api("savePolicy", { text: policy("2s") });
    const { page } = await open({ route: "#/approvals" });
    const call = callTool(client, "stop_vm", { vm_name: "test-1" });
    await page.getByRole("heading", { name: "Stop VM test-1 on virt?" }).waitFor();
    expect(await page.getByRole("timer").textContent()).toMatch(/0:0[0-2]/);
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("no one approved this call in time");
    await page.getByText("No call is waiting for your approval.").waitFor({ timeout: 5_000 });
    expect(await page.getByRole("status").textContent()).toBe(
      "Stop VM test-1 on virt: timed out: no one answered in time, so it was denied.",
    );
    expect(readState(stateFile).vms["test-1"]?.state).not.toBe("poweroff");
  });

  it("Deny all from the header denies a pending call", async () => {
    const { page } = await open();
    const call = callTool(client, "stop_vm", { vm_name: "dev-web" });
    await page.getByText(/A call is waiting for your approval/).waitFor();
    const toggle = page.getByRole("switch", { name: "Deny all" });
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    await toggle.click();
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Deny-all was turned on");
    await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
    expect((await warden.api("getState")).denyAll).toBe(true);
    await page.getByText(/Deny-all is on/).waitFor();
    await screenshot(page, "deny-all-on");
    await toggle.click();
    await expect.poll(async () => (await warden.api("getState")).denyAll).toBe(false);
  });

  it("an invalid policy edit shows its error, Save is off, and the running policy is unchanged", async () => {
    const { page } = await open({ route: "#/policy" });
    await page.locator(".cm-content").waitFor();
    const running = (await warden.api("getPolicy")).text;
    const invalid = running.replace('"action": "approve"', '"action": "aprove"');
    expect(invalid).not.toBe(running);
    await setEditorText(page, invalid);
    const problems = page.getByRole("region", { name: "Problems in the edited policy" });
    await expect.poll(() => problems.textContent()).toContain("tools.stop_vm.action");
    await expect.poll(() => page.locator(".cm-lintRange-error").count()).toBeGreaterThan(0);
    const save = page.getByRole("button", { name: "Save" });
    expect(await save.isDisabled()).toBe(true);
    expect(await save.getAttribute("title")).toMatch(/^Fix the (error|\d+ errors) under the editor to save$/);
    await screenshot(page, "policy-invalid");
    expect((await warden.api("getPolicy")).text).toBe(running);
    const still = callTool(client, "list_vms");
    expect((await still).isError).toBeFalsy();
  });

  it("a valid edit saves and applies: the core runs it and the next call is decided by it", async () => {
    const { page } = await open({ route: "#/policy" });
    await page.locator(".cm-content").waitFor();
    const edited = policy("60s", { list_vms: { action: "deny", reason: "Inventory is private today" } });
    await setEditorText(page, edited);
    await page.getByRole("tab", { name: /Changes/ }).click();
    await page.getByRole("table", { name: "Changes against the running policy" }).waitFor();
    await screenshot(page, "policy-diff");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText(/Saved and applied at/).waitFor();
    expect((await warden.api("getPolicy")).text).toBe(edited);
    const refused = await callTool(client, "list_vms");
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Inventory is private today");
  });

  it("dry run shows the decision and the rule that made it", async () => {
    const { page } = await open({ route: "#/policy" });
    await page.getByRole("tab", { name: "Dry run" }).click();
    const form = page.getByRole("form", { name: "Dry run" });
    const cases: [string, string, string, string][] = [
      ["stop_vm", '{"vm_name": "dev-web"}', 'tools["stop_vm"]', "ask a human"],
      ["delete_vm", '{"vm_name": "dev-web"}', 'tools["delete_vm"]', "deny"],
      ["list_vms", "{}", 'tools["list_vms"]', "allow"],
      ["start_vm", '{"vm_name": "dev-web"}', "default", "deny"],
    ];
    for (const [tool, args, rule, verdict] of cases) {
      await form.getByLabel("Tool").fill(tool);
      await form.getByLabel("Arguments (JSON)").fill(args);
      await form.getByRole("button", { name: "Run dry run" }).click();
      const result = form.locator(".dry-run-result");
      await expect.poll(() => result.locator(".dry-run-rule").textContent()).toBe(rule);
      expect(await result.locator(".badge").first().textContent()).toBe(verdict);
      if (tool === "stop_vm") await screenshot(page, "policy-dry-run");
    }
  });

  it("replay lists exactly the recorded calls whose decision the edit changes", async () => {
    const marker = `replay-${Date.now()}`;
    const made = [
      await callTool(client, "list_vms", { filter: marker }),
      await callTool(client, "get_vm_info", { vm_name: "dev-web", note: marker }),
      await callTool(client, "delete_vm", { vm_name: "dev-web", note: marker }),
    ];
    expect(made.map((r) => Boolean(r.isError))).toEqual([false, true, true]);
    const recorded = (await warden.api("listCalls", { limit: 1_000 })).filter((c) =>
      JSON.stringify(c.args).includes(marker),
    );
    const id = (tool: string) => recorded.find((c) => c.tool === tool)?.id;

    const { page } = await open({ route: "#/policy" });
    await page.locator(".cm-content").waitFor();
    // list_vms: allow → deny; get_vm_info: default deny → allow; delete_vm stays denied.
    await setEditorText(
      page,
      policy("60s", { list_vms: { action: "deny" }, get_vm_info: { action: "allow" } }),
    );
    await page.getByRole("tab", { name: "Replay" }).click();
    await page.getByRole("button", { name: "Replay recorded calls" }).click();
    await page.getByText(/recorded calls would be decided differently/).waitFor();
    await screenshot(page, "policy-replay");

    const listed = await page
      .locator("tr[data-call-id]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-call-id")));
    expect(listed).toContain(id("list_vms"));
    expect(listed).toContain(id("get_vm_info"));
    expect(listed).not.toContain(id("delete_vm"));
    // Every call this suite recorded whose verdict the edit flips, and no other.
    const flipped = (await warden.api("listCalls", { limit: 1_000 })).filter(
      (c) =>
        (c.tool === "list_vms" && c.status === "allowed") ||
        (c.tool === "get_vm_info" && c.status === "denied"),
    );
    expect(listed.length).toBe(flipped.length);
    expect(new Set(listed)).toEqual(new Set(flipped.map((c) => c.id)));
  });

  it("is usable at 400px and in the dark theme", async () => {
    const narrow = await open({ width: 400, height: 800, route: "#/calls" });
    await narrow.page.getByRole("list", { name: "Calls, newest first" }).waitFor();
    const overflow = await narrow.page.evaluate("document.documentElement.scrollWidth");
    expect(overflow).toBeLessThanOrEqual(400);
    await screenshot(narrow.page, "live-calls-400px");
    const call = callTool(client, "stop_vm", { vm_name: "dev-db" });
    await narrow.page.getByRole("link", { name: /^Approvals/ }).click();
    await narrow.page.getByRole("heading", { name: "Stop VM dev-db on virt?" }).waitFor();
    await screenshot(narrow.page, "approval-prompt-400px");
    await narrow.page.keyboard.press("Escape");
    expect((await call).isError).toBe(true);

    const dark = await open({ colorScheme: "dark", route: "#/policy" });
    await dark.page.locator(".cm-content").waitFor();
    await dark.page.locator(".rules-table .badge").first().waitFor();
    await screenshot(dark.page, "policy-dark");
    expect(dark.errors).toEqual([]);
  });

  it("approve for 15 minutes: the same stop_vm again goes through with no prompt", async () => {
    const args = { vm_name: "prod-api", timeout: 15 };
    const stops = () =>
      readState(stateFile).calls.filter(
        (c) => c.tool === "stop_vm" && c.args.vm_name === "prod-api" && c.args.timeout === 15,
      ).length;
    const { page, errors } = await open({ route: "#/approvals" });
    const first = callTool(client, "stop_vm", args);
    await page.getByRole("heading", { name: "Stop VM prod-api on virt?" }).waitFor();
    expect(await page.locator(".approval-head .risk").textContent()).toBe("risk: high (destructive)");
    await page.getByRole("checkbox", { name: /Also approve this exact call for/ }).check();
    const minutes = page.getByRole("combobox", { name: "Minutes to approve this exact call for" });
    expect(await minutes.inputValue()).toBe("15");
    await screenshot(page, "approval-prompt-for-minutes");
    await (await armedApprove(page)).click();
    expect((await first).isError).toBeFalsy();
    await page
      .getByText("Stop VM prod-api on virt: approved by you, and the same call for 15 minutes.")
      .waitFor();
    await expect.poll(stops).toBe(1);

    // No one answers now: were it asked, the call would wait for the 60 s approval timeout.
    const second = await Promise.race([
      callTool(client, "stop_vm", args),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the call was held")), 5_000)),
    ]);
    expect(textOf(second)).not.toContain(DENIAL_PREFIX);
    await expect.poll(stops).toBe(2);
    const logged = (await warden.api("listCalls", { limit: 50 })).filter(
      (c) => c.tool === "stop_vm" && c.args.vm_name === "prod-api",
    );
    expect(logged.map((c) => c.status)).toEqual(["approved", "approved"]);
    expect(await page.getByText("No call is waiting for your approval.").count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("the prompt leads with the effect and what the limit leaves, queues every request, and keeps Approve and Deny in view with long arguments at 1280 and 420 px in both themes", async () => {
    await warden.api("savePolicy", {
      text: policy("60s", {
        stop_vm: {
          action: "approve",
          reason: "Stopping a VM takes services offline",
          approval: { timeout: "60s" },
          // A counter of its own: the calls of earlier tests are not counted.
          limits: [{ counter: "prompt_stops", window: "minute", max: 10, scope: "grant" }],
        },
      }),
    });
    const note = "a long note the agent wrote, ".repeat(700);
    const giveUp = new AbortController();
    const calls: Promise<CallToolResult | Error>[] = [];
    // One after the other, so the queue's order (and each call's count under the limit) is known.
    for (const vm of ["web-1", "web-2", "web-3"]) {
      calls.push(
        client
          .request(
            { method: "tools/call", params: { name: "stop_vm", arguments: { vm_name: vm, note } } },
            CallToolResultSchema,
            { timeout: 300_000, ...(vm === "web-1" ? { signal: giveUp.signal } : {}) },
          )
          .catch((error: Error) => error),
      );
      await expect.poll(async () => (await warden.api("listApprovals")).length).toBe(calls.length);
    }
    const asker = (await warden.api("listApprovals"))[0]?.client;

    const layouts = [
      { width: 1280, colorScheme: "light" },
      { width: 1280, colorScheme: "dark" },
      { width: 420, colorScheme: "light" },
      { width: 420, colorScheme: "dark" },
    ] as const;
    let last: Page | undefined;
    for (const { width, colorScheme } of layouts) {
      const height = 820;
      const { page, errors } = await open({ width, height, colorScheme, route: "#/approvals" });
      await page.getByRole("heading", { level: 2, name: "Stop VM web-1 on virt?" }).waitFor();
      const queue = page.getByRole("list", { name: "Waiting for approval (3)" });
      const items = queue.getByRole("button");
      expect(await items.count()).toBe(3);
      for (const text of await items.allTextContents())
        expect(text).toMatch(/^Stop VM web-\d on virt\?.* · \d:\d\d left$/);
      await items.filter({ hasText: "web-3" }).click();
      await page.getByRole("heading", { level: 2, name: "Stop VM web-3 on virt?" }).waitFor();
      // Earlier tests' stop_vm calls of this client may still be in the last minute: at least these three.
      expect(await page.locator(".limit-line").textContent()).toMatch(
        /^([3-9]|\d\d+)(st|nd|rd|th) stop_vm from this client in the last minute; 7 left of 10$/,
      );
      // The helper's SDK client introduces itself as test-client.
      expect(await page.locator(".asker").textContent()).toBe(
        `Asked by test-client (grant: ${asker}) · virt/stop_vm`,
      );
      expect(await page.locator(".risk-line").textContent()).toContain("risk: high (destructive)");
      expect(await page.locator(".approval-args").textContent()).toContain(note.trim());

      // With 20 KB of arguments, the headline and both buttons are on screen, uncovered, without scrolling.
      for (const target of [
        page.getByRole("heading", { level: 2 }),
        page.getByRole("button", { name: "Approve", exact: true }),
        page.getByRole("button", { name: /^Deny/ }),
      ]) {
        const box = await target.boundingBox();
        if (!box) throw new Error("not rendered");
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(height);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
        const hit = await target.evaluate((el) => {
          const r = el.getBoundingClientRect();
          return el.contains(el.ownerDocument.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
        });
        expect(hit).toBe(true);
      }
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
      await armedApprove(page);
      await screenshot(page, `approval-prompt-${width}px-${colorScheme}`);
      expect(errors).toEqual([]);
      last = page;
    }
    if (!last) throw new Error("no page");
    const page = last;

    // Each way a request ends is said, by name, where the request was.
    await page.getByRole("button", { name: /^Deny/ }).click();
    await page.getByText("Stop VM web-3 on virt: denied by you.").waitFor();
    await page.getByRole("heading", { level: 2, name: "Stop VM web-1 on virt?" }).waitFor();
    giveUp.abort();
    await page.getByText("Stop VM web-1 on virt: withdrawn: the client stopped waiting.").waitFor();
    await page.getByRole("heading", { level: 2, name: "Stop VM web-2 on virt?" }).waitFor();
    await page.getByRole("switch", { name: "Deny all" }).click();
    await page.getByText("Stop VM web-2 on virt: denied by Deny-all.").waitFor();
    await page.getByText("No call is waiting for your approval.").waitFor();
    const ended = page.getByRole("list", { name: "Just ended" });
    expect(await ended.locator(".queue-meta").allTextContents()).toEqual([
      expect.stringMatching(/^denied by Deny-all · /),
      expect.stringMatching(/^withdrawn: the client stopped waiting · /),
      expect.stringMatching(/^denied · /),
    ]);
    await screenshot(page, "approval-prompt-ended-420px-dark");
    const results = await Promise.all(calls);
    expect(results[0]).toBeInstanceOf(Error);
    expect(results.slice(1).map((r) => (r instanceof Error ? r.message : textOf(r)))).toEqual([
      expect.stringContaining("Deny-all was turned on"),
      expect.stringContaining("a human denied this call"),
    ]);
  });

  it("Servers lists the grants; a new grant's token works for a real SDK client; the details show the result", async () => {
    const { page, errors } = await open({ route: "#/servers", height: 1100 });
    const tokens = page.getByRole("table", { name: "Client tokens" });
    const cliRow = tokens.getByRole("row").filter({ has: page.getByRole("rowheader", { name: /^cli\b/ }) });
    await cliRow.waitFor();
    expect(await cliRow.textContent()).toContain("command line");
    expect(await cliRow.locator("code.token").textContent()).not.toContain(CLIENT_TOKEN);

    await page.getByLabel("New client token for").fill("cursor");
    await page.getByRole("button", { name: "Create token" }).click();
    const row = tokens.getByRole("row").filter({ has: page.getByRole("rowheader", { name: /^cursor\b/ }) });
    await row.waitFor();
    expect(await row.locator("code.token").textContent()).toMatch(/^•+/);
    await row.getByRole("button", { name: "Show the token of cursor" }).click();
    const token = (await row.locator("code.token").textContent()) ?? "";
    expect(token).not.toContain("•");
    expect((await warden.api("listGrants")).find((g) => g.name === "cursor")?.token).toBe(token);
    await screenshot(page, "servers-tokens");

    const marker = `cursor-${Date.now()}`;
    const cursor = await warden.client("virt", token);
    const listed = await callTool(cursor, "list_vms", { filter: marker });
    expect(listed.isError).toBeFalsy();

    await page.getByRole("link", { name: /^Live calls/ }).click();
    const callRow = page.getByRole("listitem").filter({ hasText: marker }).first();
    await expect.poll(() => callRow.locator(".c-client").textContent()).toBe("cursor");
    await callRow.getByRole("button").click();
    const details = page.getByRole("region", { name: /list_vms/ });
    const result = details.locator("pre.call-result");
    await result.waitFor();
    const shown = JSON.parse((await result.textContent()) ?? "") as unknown;
    expect(shown).toEqual((await warden.api("getCall", { id: await callId(marker) })).result);
    expect(JSON.stringify(shown)).toContain("dev-web");
    await screenshot(page, "call-details-result");

    // Revoked, the token stops working at once.
    await page.getByRole("link", { name: /^Servers/ }).click();
    await row.getByRole("button", { name: "Revoke cursor" }).click();
    await row.getByRole("button", { name: "Yes, revoke cursor" }).click();
    await page.getByText('Revoked "cursor": its token no longer works.').waitFor();
    await expect(warden.client("virt", token)).rejects.toThrow();
    expect(errors).toEqual([]);
  });

  /** The id of the call whose arguments contain `marker`. */
  async function callId(marker: string): Promise<string> {
    const found = (await warden.api("listCalls", { limit: 100 })).find((c) =>
      JSON.stringify(c.args).includes(marker),
    );
    if (!found) throw new Error(`no call with ${marker}`);
    return found.id;
  }

  it("Live calls pages back through a 12,000-call audit log to its first call as the list is scrolled", async () => {
    // The log exists before serve starts, so most of it is only on disk (the core keeps the newest 5,000).
    const dataDir = tempDir();
    const total = 12_000;
    const now = Date.now();
    const lines: string[] = [];
    for (let i = 1; i <= total; i++) {
      lines.push(
        JSON.stringify({
          t: "decision",
          id: `c${i}`,
          ts: now - (total - i) * 1_000,
          client: "cli",
          session: "s",
          server: "virt",
          tool: "list_vms",
          args: { i },
          status: "allowed",
          rule: "default",
          reason: "x",
          counterKeys: [],
        }),
      );
    }
    writeFileSync(join(dataDir, "audit.jsonl"), `${lines.join("\n")}\n`, { mode: 0o600 });
    const paged = await startWarden({
      policy: policy(),
      dataDir,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
      env: { HOME: tempDir("warden-home-") },
    });
    try {
      const { page, errors } = await openUi(browser, paged.url, { route: "#/calls" });
      pages.push(page);
      const count = page.locator(".toolbar .count");
      await expect.poll(() => count.textContent()).toBe("5,000 calls loaded");
      const pagesBack: unknown[] = [];
      page.on("request", (request) => {
        if (request.url().endsWith("/api/listCalls")) {
          const before = (request.postDataJSON() as { before?: { id: string } }).before;
          if (before) pagesBack.push(before.id);
        }
      });

      const end = page.locator(".calls-end [role=status]");
      const scroller = page.locator(".call-scroll");
      for (let i = 0; i < 20 && (await end.textContent()) !== "start of the log"; i++) {
        await scroller.evaluate((box) => {
          box.scrollTop = box.scrollHeight;
        });
        await page.waitForTimeout(150);
      }
      await expect.poll(() => end.textContent(), { timeout: 5_000 }).toBe("start of the log");
      expect(await count.textContent()).toBe("12,000 calls loaded");
      // One page at a time, each from the oldest call then held, then one empty page.
      expect(pagesBack).toEqual(["c7001", "c2001", "c1"]);

      const last = page.locator('.call-item[aria-posinset="12000"]');
      expect(await last.getAttribute("aria-setsize")).toBe("12000");
      expect(await last.locator(".c-args").textContent()).toBe("i: 1");
      await expect.poll(() => last.isVisible()).toBe(true);
      await screenshot(page, "live-calls-start-of-log");

      // Filters and search apply to the loaded calls.
      await page.getByLabel("Search arguments").fill('"i":1}');
      await expect.poll(() => count.textContent()).toBe("1 of 12,000 loaded calls");
      expect(errors).toEqual([]);
    } finally {
      await paged.stop();
    }
  });

  it("welcome: Protect puts a Cursor config's server behind the warden, which starts it at once; Undo puts the file back", async () => {
    const home = tempDir("warden-home-");
    mkdirSync(join(home, ".cursor"));
    const configPath = join(home, ".cursor", "mcp.json");
    const original = `${JSON.stringify(
      { mcpServers: { vms: virtualizationServer("testing", join(tempDir(), "vms.json")) } },
      null,
      2,
    )}\n`;
    writeFileSync(configPath, original);
    const other = await startWarden({ policy: policy(), servers: {}, env: { HOME: home } });
    try {
      const { page, errors } = await openUi(browser, other.url);
      pages.push(page);
      const welcome = page.getByRole("region", { name: "Welcome to MCP Warden" });
      await welcome.waitFor();
      const file = welcome.getByRole("group", { name: `Cursor: ${configPath}` });
      expect(await file.textContent()).toContain("1 server, 0 already through the warden");
      await screenshot(page, "welcome");

      await file.getByRole("button", { name: "Protect" }).click();
      await file.getByText("Restart Cursor to use it.").waitFor();
      expect(await file.locator(".entry-list li").allTextContents()).toEqual([
        "mcpServers.vms moved → warden server vms",
      ]);
      const entry = JSON.parse(readFileSync(configPath, "utf8")).mcpServers.vms as { url?: string };
      expect(entry.url).toBe(`${other.url}/mcp/vms`);
      await expect.poll(() => file.textContent()).toContain("1 server, 1 already through the warden");
      await screenshot(page, "welcome-protected");

      await page
        .getByRole("navigation", { name: "Views" })
        .getByRole("link", { name: /^Servers/ })
        .click();
      expect(await welcome.count()).toBe(0);
      const vms = page.getByRole("region", { name: "vms" });
      await expect
        .poll(() => vms.locator(".card-head .badge").first().textContent(), { timeout: 15_000 })
        .toBe("connected");
      const clients = page.getByRole("region", { name: "Clients" });
      expect(await clients.textContent()).toContain("1 server, 1 already through the warden");
      await page.setViewportSize({ width: 1280, height: 1100 });
      await screenshot(page, "servers-clients");
      await page.setViewportSize({ width: 1280, height: 820 });

      // A starter policy opens in the editor for review; nothing is saved.
      await vms.getByRole("button", { name: "Starter policy for vms" }).click();
      await page.getByText(/Starter policy for "vms"/).waitFor();
      expect(await page.getByText("Edited, not saved").count()).toBe(1);
      await expect.poll(() => page.locator(".cm-content").textContent()).toContain("vms/");
      expect((await other.api("getPolicy")).text).toBe(policy());
      await screenshot(page, "policy-starter");

      await page.getByRole("link", { name: /^Servers/ }).click();
      const again = page
        .getByRole("region", { name: "Clients" })
        .getByRole("group", { name: `Cursor: ${configPath}` });
      await again.getByRole("button", { name: "Undo" }).click();
      await again.getByText("Undone: the file is back exactly as it was.").waitFor();
      expect(readFileSync(configPath, "utf8")).toBe(original);
      expect(errors).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
