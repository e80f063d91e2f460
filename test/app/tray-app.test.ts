/** The tray app around a real core: the tray follows the core, menu commands act, windows open, quit is clean. */
import { existsSync } from "node:fs";
import type { MenuItemConstructorOptions } from "electron";
import { afterEach, describe, expect, it } from "vitest";
import { CrashWatch } from "../../main/app/crash-watch.js";
import { TrustedSenders } from "../../main/app/ipc.js";
import { DesktopNotifications } from "../../main/app/notifications.js";
import { UI_INDEX } from "../../main/app/protocol.js";
import { AppSettingsStore, DEFAULT_APP_SETTINGS } from "../../main/app/settings.js";
import { startTrayApp, type TrayApp } from "../../main/app/tray-app.js";
import { WindowManager } from "../../main/app/windows.js";
import type { Runtime } from "../../main/core/runtime.js";
import { EVENT_CHANNEL, methodChannel } from "../../shared/ipc.js";
import { startOAuthFixture } from "../helpers/oauth-fixture.js";
import {
  FakeIpcMain,
  FakeNotifier,
  FakeTray,
  FakeWindow,
  invokeEvent,
  pendingStopVm,
  startCore,
  until,
} from "./fakes.js";

interface Harness {
  core: { runtime: Runtime; close: () => Promise<void> };
  app: TrayApp<MenuItemConstructorOptions[]>;
  tray: FakeTray;
  windows: WindowManager<FakeWindow>;
  created: FakeWindow[];
  notifier: FakeNotifier;
  ipcMain: FakeIpcMain;
  quits: number;
  login: { on: boolean };
}

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.app.shutdown();
    await h.core.close();
  }
});

async function start(platform: NodeJS.Platform = "linux"): Promise<Harness> {
  const core = await startCore();
  const values = new Map<string, unknown>();
  const settings = new AppSettingsStore({ get: (k) => values.get(k), set: (k, v) => values.set(k, v) });
  const trusted = new TrustedSenders();
  const created: FakeWindow[] = [];
  const windows = new WindowManager<FakeWindow>({
    create: (options) => {
      const w = new FakeWindow(options);
      created.push(w);
      return w;
    },
    preloadPath: "/p.cjs",
    settings,
    trusted,
  });
  const notifier = new FakeNotifier();
  const notifications = new DesktopNotifications({
    notifier,
    platform,
    choices: () => DEFAULT_APP_SETTINGS.notifications,
    openPrompt: (id) => windows.open({ window: "approval", id }),
    openServers: () => windows.open({ window: "main", page: "servers" }),
    approve: (id, hash) => core.runtime.warden.broker.approve(id, hash),
    deny: (id) => core.runtime.warden.broker.deny(id),
  });
  const tray = new FakeTray();
  const ipcMain = new FakeIpcMain();
  const login = { on: false };
  const harness = { core, tray, windows, created, notifier, ipcMain, quits: 0, login } as Omit<
    Harness,
    "app"
  >;
  const app = startTrayApp({
    runtime: core.runtime,
    tray,
    buildMenu: (template) => template,
    iconPath: (icon) => `/icons/${icon}`,
    windows,
    notifications,
    crashWatch: new CrashWatch(),
    ipcMain,
    trusted,
    settings,
    loginItem: { get: () => login.on, set: (on) => (login.on = on) },
    quit: () => {
      (harness as Harness).quits++;
    },
    platform,
    refreshMs: 20,
  });
  const full = Object.assign(harness, { app }) as Harness;
  running.push(full);
  return full;
}

describe("tray app", () => {
  it("starts with the tray drawn from the core's state and no window", async () => {
    const h = await start();
    expect(h.tray.images).toEqual(["/icons/normal"]);
    expect(h.tray.item("No servers")).toMatchObject({ enabled: false });
    expect(h.created).toEqual([]);
    expect(h.ipcMain.handlers.size).toBeGreaterThan(0);
  });

  it("Deny all from the tray is on in the core before the click returns, shown in the icon, and notified", async () => {
    const h = await start();
    const waiting = pendingStopVm(h.core.runtime);
    expect(h.tray.images.at(-1)).toBe("/icons/pending");
    h.tray.click("Deny all");
    expect(h.core.runtime.warden.denyAll).toBe(true);
    expect(h.tray.images.at(-1)).toBe("/icons/deny-all");
    expect(h.tray.item("Deny all").checked).toBe(true);
    expect(await waiting.ended).toBe("deny-all");
    expect(h.notifier.sent.map((s) => s.options.title)).toContain("Deny all is ON");
    h.tray.click("Deny all");
    expect(h.core.runtime.warden.denyAll).toBe(false);
    expect(h.tray.images.at(-1)).toBe("/icons/normal");
  });

  it("a pending approval updates the count and icon at once; the menu entry opens the prompt on it", async () => {
    const h = await start();
    const call = pendingStopVm(h.core.runtime);
    expect(h.tray.item("Waiting for approval (1)")).toBeDefined();
    h.tray.click("Waiting for approval");
    const prompt = h.windows.get("approval");
    expect(prompt?.loads).toEqual([`${UI_INDEX}?approval=${call.id}#/approval`]);
    h.core.runtime.warden.broker.deny(call.id);
    expect(h.tray.item("Waiting for approval (0)")).toBeDefined();
    expect(h.tray.images.at(-1)).toBe("/icons/normal");
    h.tray.click("Waiting for approval");
    expect(h.windows.get("main")?.loads).toEqual([`${UI_INDEX}#/approvals`]);
  });

  it("with no notification daemon a pending approval opens the prompt window on it", async () => {
    const h = await start("linux");
    h.notifier.failWith = new Error("no daemon");
    const call = pendingStopVm(h.core.runtime);
    expect(h.windows.get("approval")?.loads).toEqual([`${UI_INDEX}?approval=${call.id}#/approval`]);
    h.core.runtime.warden.broker.deny(call.id);
  });

  it("Live calls, Policy editor and Servers open the main window on their page; a tray click too", async () => {
    const h = await start("win32");
    h.tray.click("Live calls");
    h.tray.click("Policy editor");
    h.tray.click("Servers");
    const main = h.windows.get("main");
    expect(main?.loads).toEqual([`${UI_INDEX}#/calls`, `${UI_INDEX}#/policy`, `${UI_INDEX}#/servers`]);
    for (const click of h.tray.clickListeners) click();
    expect(main?.loads.at(-1)).toBe(`${UI_INDEX}#/calls`);
    expect(h.created).toHaveLength(1);
  });

  it("Start at login switches the login item and the checkbox follows", async () => {
    const h = await start();
    h.tray.click("Start at login");
    expect(h.login.on).toBe(true);
    expect(h.tray.item("Start at login").checked).toBe(true);
    h.tray.click("Start at login");
    expect(h.login.on).toBe(false);
    expect(h.tray.item("Start at login").checked).toBe(false);
  });

  it("calls are counted in the status line (drawn together, shortly after)", async () => {
    const h = await start();
    const call = pendingStopVm(h.core.runtime);
    h.core.runtime.warden.broker.deny(call.id);
    await until(() => h.tray.menu[0]?.label === "No servers · 1 call today", 2_000, "the status line");
  });

  it("our window's renderer reaches the core over IPC and receives its events", async () => {
    const h = await start();
    h.tray.click("Live calls");
    const main = h.windows.get("main");
    if (!main) throw new Error("no main window");
    await h.ipcMain.invoke(methodChannel("setDenyAll"), invokeEvent(main.webContents.id), { on: true });
    expect(h.core.runtime.warden.denyAll).toBe(true);
    expect(main.webContents.sent).toContainEqual({
      channel: EVENT_CHANNEL,
      args: [{ event: "denyAll", payload: { on: true } }],
    });
    expect(h.tray.images.at(-1)).toBe("/icons/deny-all");
  });

  it("Quit asks the app to quit; shutdown denies pending approvals, closes windows, the tray and the core", async () => {
    const h = await start();
    h.tray.click("Live calls");
    const main = h.windows.get("main");
    const call = pendingStopVm(h.core.runtime);
    h.tray.click("Quit");
    expect(h.quits).toBe(1);
    await Promise.all([h.app.shutdown(), h.app.shutdown()]);
    expect(await call.ended).toBe("denied");
    expect(h.tray.destroyed).toBe(true);
    expect(h.ipcMain.handlers.size).toBe(0);
    expect(main?.close()).toEqual({ prevented: false });
    // runtime.close() ran: runtime.json (where `connect` finds the warden) is gone.
    expect(existsSync(h.core.runtime.paths.runtime)).toBe(false);
  });
});

describe("a server that needs a sign-in", () => {
  it("the tray says 'Sign in to remote' and opens Servers; so does a click on its one notification", async () => {
    const fixture = await startOAuthFixture(["--auto-approve"]);
    try {
      const h = await start("darwin");
      await h.core.runtime.warden.updateServers({ mcpServers: { remote: { url: `${fixture.url}/mcp` } } });
      await until(
        () => h.tray.menus.length > 0 && h.tray.menu.some((i) => i.label === "Sign in to remote"),
        15_000,
        "the tray to ask for the sign-in",
      );
      expect(h.tray.menu.map((i) => i.label ?? i.type).slice(0, 3)).toEqual([
        "0/1 servers up · 0 calls today",
        "Sign in to remote",
        "separator",
      ]);
      expect(h.tray.tooltips.at(-1)).toContain("sign-in needed for 1 server");
      h.tray.click("Sign in to remote");
      expect(h.windows.get("main")?.loads).toEqual([`${UI_INDEX}#/servers`]);

      const notices = h.notifier.sent.filter((n) => n.options.title === "Sign in to remote");
      expect(notices).toHaveLength(1);
      expect(notices[0]?.options.message).toContain("Click to open Servers and sign in.");
      h.windows.get("main")?.close();
      notices[0]?.callback(null, "activate", { activationType: "contentsClicked" });
      expect(h.windows.get("main")?.loads.at(-1)).toBe(`${UI_INDEX}#/servers`);
    } finally {
      await fixture.stop();
    }
  });
});
