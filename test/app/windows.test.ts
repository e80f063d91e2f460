/** Windows: locked-down options, created on demand, hidden not destroyed, bounds remembered, trusted while alive. */
import { describe, expect, it } from "vitest";
import { TrustedSenders } from "../../main/app/ipc.js";
import { UI_INDEX } from "../../main/app/protocol.js";
import { AppSettingsStore, DEFAULT_APP_SETTINGS } from "../../main/app/settings.js";
import { routeUrl, WindowManager, windowOptions } from "../../main/app/windows.js";
import { FakeWindow } from "./fakes.js";

function memoryStore() {
  const values = new Map<string, unknown>();
  return { values, get: (k: string) => values.get(k), set: (k: string, v: unknown) => values.set(k, v) };
}

function manager() {
  const created: FakeWindow[] = [];
  const store = memoryStore();
  const settings = new AppSettingsStore(store);
  const trusted = new TrustedSenders();
  const visibility: boolean[] = [];
  const windows = new WindowManager<FakeWindow>({
    create: (options) => {
      const w = new FakeWindow(options);
      created.push(w);
      return w;
    },
    preloadPath: "/app/out/preload/preload.cjs",
    settings,
    trusted,
    onVisibleChange: (visible) => visibility.push(visible),
  });
  return { windows, created, settings, store, trusted, visibility };
}

/** Lets the window's loadURL promise settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("window options", () => {
  it.each(["main", "approval"] as const)(
    "the %s window gets every security option and the preload",
    (kind) => {
      const options = windowOptions(kind, "/p/preload.cjs", undefined);
      expect(options.webPreferences).toMatchObject({
        preload: "/p/preload.cjs",
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
      });
      expect(options.show).toBe(false);
    },
  );

  it("the approval prompt is small and always on top; the main window is not", () => {
    const prompt = windowOptions("approval", "/p", undefined);
    const main = windowOptions("main", "/p", undefined);
    expect(prompt).toMatchObject({ alwaysOnTop: true, width: 520, height: 700, minimizable: false });
    expect(main.alwaysOnTop).toBeUndefined();
    expect(main.width).toBeGreaterThan(prompt.width ?? 0);
  });

  it("remembered bounds replace the default size", () => {
    const options = windowOptions("main", "/p", { x: 5, y: 6, width: 700, height: 500 });
    expect(options).toMatchObject({ x: 5, y: 6, width: 700, height: 500 });
    expect(options.center).toBeUndefined();
  });

  it("routes are hash routes of the UI served from app://warden", () => {
    expect(routeUrl({ window: "main", page: "calls" })).toBe(`${UI_INDEX}#/calls`);
    expect(routeUrl({ window: "main", page: "policy" })).toBe("app://warden/index.html#/policy");
    expect(routeUrl({ window: "approval" })).toBe("app://warden/index.html#/approval");
    expect(routeUrl({ window: "approval", id: "a b/c" })).toBe(
      "app://warden/index.html?approval=a%20b%2Fc#/approval",
    );
  });
});

describe("window manager", () => {
  it("creates no window until one is asked for, then one per kind, shown and focused on its route", async () => {
    const { windows, created, trusted } = manager();
    expect(created).toHaveLength(0);
    const main = windows.open({ window: "main", page: "calls" });
    await settle();
    expect(created).toEqual([main]);
    expect(main.loads).toEqual([`${UI_INDEX}#/calls`]);
    expect(main.visible).toBe(true);
    expect(main.focused).toBe(1);
    expect(trusted.has(main.webContents.id)).toBe(true);

    expect(windows.open({ window: "main", page: "policy" })).toBe(main);
    await settle();
    expect(main.loads).toEqual([`${UI_INDEX}#/calls`, `${UI_INDEX}#/policy`]);
    windows.open({ window: "main", page: "policy" });
    await settle();
    expect(main.loads).toHaveLength(2);
    expect(main.focused).toBe(3);

    const prompt = windows.open({ window: "approval", id: "a1" });
    await settle();
    expect(created).toEqual([main, prompt]);
    expect(prompt.options.alwaysOnTop).toBe(true);
    expect(prompt.loads).toEqual([`${UI_INDEX}?approval=a1#/approval`]);
    expect(windows.all()).toEqual([main, prompt]);
  });

  it("closing hides the window instead of destroying it; reopening shows the same one", async () => {
    const { windows, created, settings, visibility } = manager();
    const main = windows.open({ window: "main", page: "calls" });
    await settle();
    main.bounds = { x: 11, y: 22, width: 800, height: 555 };
    expect(main.close()).toEqual({ prevented: true });
    expect(main.visible).toBe(false);
    expect(main.destroyed).toBe(false);
    expect(settings.get("windowBounds").main).toEqual({ x: 11, y: 22, width: 800, height: 555 });
    expect(visibility).toEqual([true, false]);

    expect(windows.open({ window: "main", page: "calls" })).toBe(main);
    expect(main.visible).toBe(true);
    expect(created).toHaveLength(1);
  });

  it("a minimised window is restored when opened", async () => {
    const { windows } = manager();
    const main = windows.open({ window: "main", page: "calls" });
    await settle();
    main.minimized = true;
    windows.open({ window: "main", page: "calls" });
    expect(main.minimized).toBe(false);
  });

  it("when quitting, windows really close, bounds are saved, and they stop being trusted", async () => {
    const { windows, trusted, settings } = manager();
    const main = windows.open({ window: "main", page: "calls" });
    const prompt = windows.open({ window: "approval" });
    await settle();
    prompt.bounds = { x: 1, y: 2, width: 430, height: 440 };
    windows.prepareToQuit();
    expect(settings.get("windowBounds").approval).toEqual({ x: 1, y: 2, width: 430, height: 440 });
    expect(main.close()).toEqual({ prevented: false });
    expect(prompt.close()).toEqual({ prevented: false });
    expect(trusted.has(main.webContents.id)).toBe(false);
    expect(trusted.targets()).toEqual([]);
    expect(windows.all()).toEqual([]);
  });

  it("a window destroyed behind its back is created anew", async () => {
    const { windows, created } = manager();
    const first = windows.open({ window: "approval", id: "x" });
    first.destroyed = true;
    const second = windows.open({ window: "approval", id: "x" });
    expect(second).not.toBe(first);
    expect(created).toHaveLength(2);
  });

  it("remembered bounds are used for a new window; malformed ones are ignored", () => {
    const { windows, store, created } = manager();
    store.set("windowBounds", { main: { x: 3, y: 4, width: 640, height: 480 }, approval: { x: "no" } });
    windows.open({ window: "main", page: "servers" });
    windows.open({ window: "approval" });
    expect(created[0]?.options).toMatchObject({ x: 3, y: 4, width: 640, height: 480 });
    expect(created[1]?.options).toMatchObject({ width: 520, height: 700, center: true });
    expect(DEFAULT_APP_SETTINGS.windowBounds).toEqual({});
  });
});
