/** The tray view: draws the model on a tray, only when it changed, and runs menu commands synchronously. */
import type { MenuItemConstructorOptions } from "electron";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TrayCommands, TrayView } from "../../main/app/tray.js";
import { trayIconFile } from "../../main/app/tray-icons.js";
import type { TrayCommand, TrayState } from "../../main/app/tray-model.js";
import type { Runtime } from "../../main/core/runtime.js";
import { FakeTray, startCore } from "./fakes.js";

const state: TrayState = {
  denyAll: false,
  pending: 0,
  serversUp: 1,
  serversTotal: 1,
  callsToday: 0,
  startAtLogin: false,
};

function recordingCommands(overrides: Partial<TrayCommands> = {}) {
  const calls: [TrayCommand, boolean][] = [];
  const record = (command: TrayCommand) => (checked: boolean) => {
    calls.push([command, checked]);
  };
  const commands: TrayCommands = {
    toggleDenyAll: record("toggleDenyAll"),
    openApprovals: record("openApprovals"),
    openLiveCalls: record("openLiveCalls"),
    openPolicy: record("openPolicy"),
    openServers: record("openServers"),
    toggleStartAtLogin: record("toggleStartAtLogin"),
    quit: record("quit"),
    ...overrides,
  };
  return { commands, calls };
}

function view(tray: FakeTray, commands: TrayCommands) {
  return new TrayView<MenuItemConstructorOptions[]>({
    tray,
    buildMenu: (template) => template,
    iconPath: (icon) => `/icons/${icon}.png`,
    commands,
  });
}

describe("tray view", () => {
  it("draws the icon, tooltip and menu of the state", () => {
    const tray = new FakeTray();
    view(tray, recordingCommands().commands).render({ ...state, pending: 2 });
    expect(tray.images).toEqual(["/icons/pending.png"]);
    expect(tray.tooltips).toEqual(["MCP Warden — 1/1 servers up · 0 calls today, 2 approvals waiting"]);
    expect(tray.menu.map((i) => i.type ?? i.label)).toEqual([
      "1/1 servers up · 0 calls today",
      "separator",
      "checkbox",
      "Waiting for approval (2)",
      "separator",
      "Live calls",
      "Policy editor",
      "Servers",
      "separator",
      "checkbox",
      "Quit",
    ]);
    expect(tray.item("1/1 servers up")).toMatchObject({ enabled: false });
    expect(tray.item("Deny all")).toMatchObject({ type: "checkbox", checked: false });
  });

  it("re-renders only when the model changed, and sets the icon only when the icon changed", () => {
    const tray = new FakeTray();
    const v = view(tray, recordingCommands().commands);
    expect(v.render(state)).toBe(true);
    expect(v.render({ ...state })).toBe(false);
    expect(tray.menus).toHaveLength(1);
    expect(v.render({ ...state, callsToday: 1 })).toBe(true);
    expect(tray.menus).toHaveLength(2);
    expect(tray.images).toEqual(["/icons/normal.png"]);
    v.render({ ...state, denyAll: true });
    expect(tray.images).toEqual(["/icons/normal.png", "/icons/deny-all.png"]);
  });

  it("each menu entry runs its command; checkboxes pass the state the user asked for", () => {
    const tray = new FakeTray();
    const { commands, calls } = recordingCommands();
    view(tray, commands).render(state);
    for (const label of ["Deny all", "Waiting for approval", "Live calls", "Policy editor", "Servers"]) {
      tray.click(label);
    }
    tray.click("Start at login");
    tray.click("Quit");
    expect(calls).toEqual([
      ["toggleDenyAll", true],
      ["openApprovals", false],
      ["openLiveCalls", false],
      ["openPolicy", false],
      ["openServers", false],
      ["toggleStartAtLogin", true],
      ["quit", false],
    ]);
  });

  it("picks the icon file each OS expects", () => {
    expect(trayIconFile("/a", "pending", "darwin")).toBe("/a/tray/tray-pendingTemplate.png");
    expect(trayIconFile("/a", "deny-all", "win32")).toBe("/a/tray/tray-deny-all.ico");
    expect(trayIconFile("/a", "normal", "linux")).toBe("/a/tray/tray-normal.png");
  });
});

describe("tray view over a real core", () => {
  let core: { runtime: Runtime; close: () => Promise<void> };
  beforeAll(async () => {
    core = await startCore();
  });
  afterAll(async () => {
    await core.close();
  });

  it("toggling Deny all has reached the core when the click handler returns, and the icon shows it", () => {
    const { warden } = core.runtime;
    const tray = new FakeTray();
    const stateOf = (): TrayState => ({ ...state, denyAll: warden.denyAll });
    let v: TrayView<MenuItemConstructorOptions[]> | undefined;
    const { commands } = recordingCommands({
      toggleDenyAll: (checked) => warden.setDenyAll(checked),
    });
    v = view(tray, commands);
    const off = warden.events.on("denyAll", () => v?.render(stateOf()));
    v.render(stateOf());

    tray.click("Deny all");
    // No await: the click handler itself turned it on.
    expect(warden.denyAll).toBe(true);
    expect(warden.state().denyAll).toBe(true);
    expect(tray.images.at(-1)).toBe("/icons/deny-all.png");
    expect(tray.item("Deny all").checked).toBe(true);

    tray.click("Deny all");
    expect(warden.denyAll).toBe(false);
    expect(tray.images.at(-1)).toBe("/icons/normal.png");
    off();
    v = undefined;
  });
});
