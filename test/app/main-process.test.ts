/**
 * main.ts itself, run under plain Node with a recording stand-in for the "electron" module
 * (test/app/fake-electron/): the order of the security set-up, the core started in-process from the data
 * folder, IPC, the tray and a clean quit on SIGTERM; the second-instance and start-up-error paths. The
 * real binary is exercised by smoke.test.ts where it is installed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UI_CSP } from "../../main/core/http-server.js";
import { WARDEN_METHODS } from "../../shared/contract.js";
import { methodChannel } from "../../shared/ipc.js";
import { repoRoot } from "../helpers/warden.js";
import { tempFolder, until } from "./fakes.js";

interface Report {
  calls: { name: string; ready: boolean; detail?: unknown }[];
  ipcChannels: string[];
  removedChannels: string[];
  tray: {
    images: string[];
    tooltips: string[];
    menus: { label?: string; type?: string; checked?: boolean }[][];
  };
  session: {
    permissionGranted?: boolean;
    permissionCheck?: boolean;
    blocked?: string[];
    remoteCancelled?: boolean;
  };
  protocol: { index?: { status: number; csp: string | null } };
  errors: string[];
  listeners: Record<string, number>;
}

const folder = tempFolder("warden-main-");
const bundle = join(folder.dir, "main.js");
const children: ChildProcess[] = [];

beforeAll(async () => {
  await build({
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    format: "esm",
    entryPoints: [join(repoRoot, "main", "app", "main.ts")],
    outfile: bundle,
    logLevel: "warning",
  });
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  folder.remove();
});

/** Starts the bundled main process with the stand-in; resolves with its handle, output and report path. */
function launch(name: string, args: string[], env: Record<string, string> = {}) {
  const report = join(folder.dir, `${name}.json`);
  const child = spawn(
    process.execPath,
    ["--import", join(repoRoot, "test", "app", "fake-electron", "register.mjs"), bundle, ".", ...args],
    {
      env: {
        ...process.env,
        FAKE_ELECTRON_BUNDLE: bundle,
        FAKE_ELECTRON_APP_PATH: repoRoot,
        FAKE_ELECTRON_REPORT: report,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    report: () => JSON.parse(readFileSync(report, "utf8")) as Report,
  };
}

describe("main process (with a stand-in electron)", () => {
  it("secures the app before it is ready, runs the core in-process, draws the tray, and quits cleanly", async () => {
    const dataDir = join(folder.dir, "data");
    const app = launch("full", ["--data-dir", dataDir, "--port", "0"]);
    const runtimeFile = join(dataDir, "runtime.json");
    await until(() => existsSync(runtimeFile) || app.child.exitCode !== null, 20_000, "the core to start");
    expect(app.child.exitCode, app.output()).toBeNull();

    const { url } = JSON.parse(readFileSync(runtimeFile, "utf8")) as { url: string };
    const { admin } = JSON.parse(readFileSync(join(dataDir, "tokens.json"), "utf8")) as { admin: string };
    const response = await fetch(`${url}/api/getState`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(await response.json()).toMatchObject({ denyAll: false, pending: [] });
    // Give the protocol stand-in a moment to ask for the UI's entry page.
    await new Promise((r) => setTimeout(r, 100));

    app.child.kill("SIGTERM");
    expect(await app.exited, app.output()).toBe(0);
    const report = app.report();
    const call = (name: string) => report.calls.find((c) => c.name === name);

    // Before ready: the sandbox for every renderer and the privileged app:// scheme.
    expect(call("enableSandbox")?.ready).toBe(false);
    expect(call("registerSchemesAsPrivileged")).toMatchObject({
      ready: false,
      detail: [{ scheme: "app", privileges: { standard: true, secure: true } }],
    });
    expect(call("requestSingleInstanceLock")).toBeDefined();
    expect(report.listeners["web-contents-created"]).toBeGreaterThanOrEqual(1);
    expect(report.listeners["window-all-closed"]).toBeGreaterThanOrEqual(1);
    expect(report.listeners["second-instance"]).toBe(1);

    // After ready: the session locked down, the UI served with the CSP.
    expect(call("protocol.handle")).toMatchObject({ ready: true, detail: "app" });
    expect(report.session).toEqual({
      permissionGranted: false,
      permissionCheck: false,
      blocked: expect.arrayContaining(["http://*/*", "https://*/*"]),
      remoteCancelled: true,
    });
    expect(report.protocol.index?.csp).toBe(UI_CSP);

    // IPC: exactly the contract, removed again on quit.
    const channels = WARDEN_METHODS.map((m) => methodChannel(m)).sort();
    expect([...report.ipcChannels].sort()).toEqual(channels);
    expect([...report.removedChannels].sort()).toEqual(channels);

    // The tray: shown first in its starting state, then the Linux icon for the normal state and the full
    // menu; no window was opened.
    expect(report.tray.menus[0]?.map((i) => i.label ?? i.type)).toEqual(["Starting…", "separator", "Quit"]);
    expect(report.tray.tooltips[0]).toBe("MCP Warden — starting…");
    expect(report.tray.images.at(-1)).toBe(join(repoRoot, "assets", "tray", "tray-normal.png"));
    expect(report.tray.menus.at(-1)?.map((i) => i.label ?? i.type)).toEqual([
      "No servers · 0 calls today",
      "separator",
      "Deny all",
      "Waiting for approval (0)",
      "separator",
      "Live calls",
      "Policy editor",
      "Servers",
      "separator",
      "Start at login",
      "Quit",
    ]);
    expect(report.calls.filter((c) => c.name === "BrowserWindow")).toEqual([]);
    expect(call("tray.destroy")).toBeDefined();
    expect(report.errors).toEqual([]);

    // The clean quit closed the core; settings went to the data folder's settings.json.
    expect(existsSync(runtimeFile)).toBe(false);
    expect(existsSync(join(dataDir, "settings.json"))).toBe(true);
  });

  it("a server that never answers initialize holds neither the port nor a quit", async () => {
    const dataDir = join(folder.dir, "slow");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(dataDir, "servers.json"),
      JSON.stringify({
        mcpServers: { slow: { command: process.execPath, args: ["-e", "process.stdin.resume()"] } },
      }),
      { mode: 0o600 },
    );
    const launched = Date.now();
    const app = launch("slow", ["--data-dir", dataDir, "--port", "0"]);
    const runtimeFile = join(dataDir, "runtime.json");
    await until(() => existsSync(runtimeFile) || app.child.exitCode !== null, 20_000, "the core to listen");
    // The server's first attempt times out after 30 s; the port opened long before.
    expect(Date.now() - launched).toBeLessThan(20_000);
    const { url } = JSON.parse(readFileSync(runtimeFile, "utf8")) as { url: string };
    const { admin } = JSON.parse(readFileSync(join(dataDir, "tokens.json"), "utf8")) as { admin: string };
    const response = await fetch(`${url}/api/listServers`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(await response.json()).toEqual([expect.objectContaining({ name: "slow", state: "starting" })]);
    const quitting = Date.now();
    app.child.kill("SIGTERM");
    expect(await app.exited, app.output()).toBe(0);
    expect(Date.now() - quitting).toBeLessThan(10_000);
  });

  it("a second instance leaves at once without starting a core", async () => {
    const dataDir = join(folder.dir, "second");
    const app = launch("second", ["--data-dir", dataDir], { FAKE_ELECTRON_LOCKED: "1" });
    expect(await app.exited, app.output()).toBe(0);
    const report = app.report();
    expect(report.calls.map((c) => c.name)).toContain("quit");
    expect(report.calls.map((c) => c.name)).not.toContain("protocol.handle");
    expect(existsSync(join(dataDir, "runtime.json"))).toBe(false);
  });

  describe("start-up errors", () => {
    let busy: Server;
    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    it("a port in use is shown in a dialog and the app exits with code 2", async () => {
      const port = (busy.address() as AddressInfo).port;
      const app = launch("busy", ["--data-dir", join(folder.dir, "busy"), "--port", String(port)]);
      expect(await app.exited, app.output()).toBe(2);
      expect(app.report().errors).toEqual([
        expect.stringMatching(/^MCP Warden cannot start: port \d+ is in use/),
      ]);
    });
  });
});
