/**
 * The start as a user sees it: the tray at once in its starting state, a second launch or a Quit during
 * the start kept and honoured once the app is up.
 */
import type { MenuItemConstructorOptions } from "electron";
import { describe, expect, it } from "vitest";
import { type StartedApp, Startup } from "../../main/app/startup.js";
import { FakeTray } from "./fakes.js";

/** A start the test finishes (or fails) when it wants. */
function deferredStart() {
  const events: string[] = [];
  const app: StartedApp = {
    openLiveCalls: () => events.push("openLiveCalls"),
    shutdown: async () => {
      events.push("shutdown");
    },
  };
  let finish: (ok: boolean) => void = () => {};
  const start = () =>
    new Promise<StartedApp>((resolve, reject) => {
      finish = (ok) => (ok ? resolve(app) : reject(new Error("port 17430 is in use")));
    });
  return { events, start, finish: (ok: boolean) => finish(ok) };
}

function startup(start: () => Promise<StartedApp>) {
  const tray = new FakeTray();
  const quits: number[] = [];
  const s = new Startup<MenuItemConstructorOptions[], StartedApp>({
    tray,
    buildMenu: (template) => template,
    iconPath: (icon) => `/icons/${icon}.png`,
    quit: () => quits.push(1),
    start,
  });
  return { s, tray, quits };
}

describe("start-up", () => {
  it("shows the tray at once, starting, with a working Quit, before the core is up", () => {
    const { start } = deferredStart();
    const { s, tray, quits } = startup(start);
    void s.run();
    expect(tray.images).toEqual(["/icons/normal.png"]);
    expect(tray.tooltips).toEqual(["MCP Warden — starting…"]);
    expect(tray.menu.map((i) => i.label ?? i.type)).toEqual(["Starting…", "separator", "Quit"]);
    expect(tray.item("Starting…").enabled).toBe(false);
    tray.click("Quit");
    expect(quits).toEqual([1]);
    expect(s.app).toBeUndefined();
  });

  it("a second launch during the start opens Live calls once the app is up; after it, at once", async () => {
    const { events, start, finish } = deferredStart();
    const { s } = startup(start);
    const running = s.run();
    s.secondInstance();
    s.secondInstance();
    expect(events).toEqual([]);
    finish(true);
    await running;
    expect(events).toEqual(["openLiveCalls"]);
    s.secondInstance();
    expect(events).toEqual(["openLiveCalls", "openLiveCalls"]);
  });

  it("a Quit during the start waits for it, then shuts the app down, and opens nothing", async () => {
    const { events, start, finish } = deferredStart();
    const { s, tray } = startup(start);
    const running = s.run();
    s.secondInstance();
    let closed = false;
    const closing = s.shutdown().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    finish(true);
    await running;
    await closing;
    expect(events).toEqual(["shutdown"]);
    expect(tray.destroyed).toBe(false);
    expect(s.shutdown()).toBe(s.shutdown());
  });

  it("a start that fails leaves only the tray to remove", async () => {
    const { events, start, finish } = deferredStart();
    const { s, tray } = startup(start);
    const running = s.run();
    finish(false);
    await expect(running).rejects.toThrow("port 17430 is in use");
    await s.shutdown();
    expect(tray.destroyed).toBe(true);
    expect(events).toEqual([]);
  });
});
