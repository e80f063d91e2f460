/**
 * Settings: the tray app's store writes the same settings.json as headless mode, and typed settings read
 * malformed values as defaults. electron-store cannot be loaded without Electron, so this uses conf — the
 * store electron-store wraps — with the options main.ts gives electron-store (cwd = data folder, name
 * "settings", which electron-store passes to conf as configName).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Conf from "conf";
import { afterEach, describe, expect, it } from "vitest";
import {
  AppSettingsStore,
  DEFAULT_APP_SETTINGS,
  DEFAULT_PORT,
  storeSettings,
} from "../../main/app/settings.js";
import { fileSettings } from "../../main/core/config/settings.js";
import { tempFolder } from "./fakes.js";

const folders: { remove: () => void }[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) f.remove();
});

/** conf configured as main.ts configures electron-store. */
function appStore(dir: string) {
  return new Conf<Record<string, unknown>>({
    cwd: dir,
    configName: "settings",
    projectName: "mcp-warden",
    configFileMode: 0o600,
  });
}

describe("settings", () => {
  it("the app's store and headless mode read and write the same settings.json", () => {
    const folder = tempFolder();
    folders.push(folder);
    const app = storeSettings(appStore(folder.dir));
    app.set("denyAll", true);
    new AppSettingsStore(app).set("port", 18_000);
    const headless = fileSettings(folder.dir);
    expect(headless.get("denyAll")).toBe(true);
    expect(headless.get("port")).toBe(18_000);
    headless.set("denyAll", false);
    expect(storeSettings(appStore(folder.dir)).get("denyAll")).toBe(false);
    expect(JSON.parse(readFileSync(join(folder.dir, "settings.json"), "utf8"))).toMatchObject({
      denyAll: false,
      port: 18_000,
    });
  });

  it("unset settings read as their defaults", () => {
    const settings = new AppSettingsStore({ get: () => undefined, set: () => {} });
    expect(settings.get("port")).toBe(DEFAULT_PORT);
    expect(DEFAULT_PORT).toBe(17_430);
    expect(settings.get("approvalTimeout")).toBe("2m");
    expect(settings.get("notifications")).toEqual({
      approvals: "notification",
      denyAll: true,
      crashes: true,
    });
    expect(settings.get("startAtLogin")).toBe(false);
    expect(settings.get("windowBounds")).toEqual({});
  });

  it.each([
    ["port", -1, DEFAULT_APP_SETTINGS.port],
    ["port", 70_000, DEFAULT_APP_SETTINGS.port],
    ["port", "17430", DEFAULT_APP_SETTINGS.port],
    ["port", 0, 0],
    ["approvalTimeout", "soon", "2m"],
    ["approvalTimeout", "8d", "2m"],
    ["approvalTimeout", "90s", "90s"],
    ["startAtLogin", "yes", false],
    [
      "notifications",
      { approvals: "shout", denyAll: "no" },
      { approvals: "notification", denyAll: true, crashes: true },
    ],
    [
      "notifications",
      { approvals: "prompt", crashes: false },
      { approvals: "prompt", denyAll: true, crashes: false },
    ],
    ["windowBounds", { main: { x: 1, y: 2, width: 3, height: 4 } }, {}],
    ["windowBounds", [1, 2], {}],
  ] as const)("%s stored as %j reads as %j", (key, stored, expected) => {
    const settings = new AppSettingsStore({ get: (k) => (k === key ? stored : undefined), set: () => {} });
    expect(settings.get(key)).toEqual(expected);
  });

  it("defaults are copies: changing one read does not change the next", () => {
    const settings = new AppSettingsStore({ get: () => undefined, set: () => {} });
    settings.get("windowBounds").main = { x: 0, y: 0, width: 500, height: 500 };
    expect(settings.get("windowBounds")).toEqual({});
  });

  it("window bounds are stored per window", () => {
    const values = new Map<string, unknown>();
    const settings = new AppSettingsStore({ get: (k) => values.get(k), set: (k, v) => values.set(k, v) });
    settings.setWindowBounds("main", { x: 1, y: 2, width: 800, height: 600 });
    settings.setWindowBounds("approval", { x: 3, y: 4, width: 500, height: 500 });
    expect(settings.get("windowBounds")).toEqual({
      main: { x: 1, y: 2, width: 800, height: 600 },
      approval: { x: 3, y: 4, width: 500, height: 500 },
    });
  });
});
