/**
 * Plain objects standing in for Electron's (the binary cannot run here): each records what it was asked,
 * and a real core started through the same `startRuntime` the app uses.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions, Rectangle } from "electron";
import type { InvokeEventLike, IpcMainLike } from "../../main/app/ipc.js";
import type { NotifyCallback, NotifyOptions } from "../../main/app/notifications.js";
import { UI_INDEX } from "../../main/app/protocol.js";
import type { AppTray } from "../../main/app/tray-app.js";
import type { AppWindow, CloseEvent } from "../../main/app/windows.js";
import { type Runtime, startRuntime } from "../../main/core/runtime.js";
import type { ApprovalEnd } from "../../shared/contract.js";

/** A fresh temporary folder, removed by the returned function. */
export function tempFolder(prefix = "warden-app-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real core in a temporary data folder (default policy: stop_vm asks a human), on a free port. */
export async function startCore(): Promise<{ runtime: Runtime; close: () => Promise<void> }> {
  const folder = tempFolder();
  const runtime = await startRuntime({ dataDir: folder.dir, port: 0 });
  return {
    runtime,
    close: async () => {
      try {
        await runtime.close();
      } catch {
        // Already closed (the tray app's shutdown closes it).
      } finally {
        folder.remove();
      }
    },
  };
}

/** Starts a stop_vm call that waits for approval; resolves with how the approval ended. */
export function pendingStopVm(
  runtime: Runtime,
  vmName = "prod-db-1",
  client = "claude-desktop",
): { id: string; callHash: string; ended: Promise<ApprovalEnd> } {
  let resolveEnd: (end: ApprovalEnd) => void = () => {};
  const ended = new Promise<ApprovalEnd>((resolve) => {
    resolveEnd = resolve;
  });
  const before = new Set(runtime.warden.broker.list().map((a) => a.id));
  const off = runtime.warden.broker.on("ended", ({ approval, end }) => {
    if (!before.has(approval.id) && approval.args.vm_name === vmName) {
      off();
      resolveEnd(end);
    }
  });
  // The call fails after approval (no such upstream here); only the approval matters.
  runtime.warden
    .handleCall({
      server: "virt",
      tool: "stop_vm",
      args: { vm_name: vmName },
      grant: client,
      session: "s1",
      forward: () => Promise.reject(new Error("no upstream here")),
    })
    .catch(() => {});
  const approval = runtime.warden.broker.list().find((a) => !before.has(a.id));
  if (!approval) throw new Error("the call did not wait for approval");
  return { id: approval.id, callHash: approval.callHash, ended };
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function until(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A recording tray; its menu is the template it was given. */
export class FakeTray implements AppTray<MenuItemConstructorOptions[]> {
  images: string[] = [];
  tooltips: string[] = [];
  menus: MenuItemConstructorOptions[][] = [];
  clickListeners: (() => void)[] = [];
  destroyed = false;
  setImage(image: string): void {
    this.images.push(image);
  }
  setToolTip(toolTip: string): void {
    this.tooltips.push(toolTip);
  }
  setContextMenu(menu: MenuItemConstructorOptions[] | null): void {
    if (menu) this.menus.push(menu);
  }
  on(_event: "click", listener: () => void): this {
    this.clickListeners.push(listener);
    return this;
  }
  destroy(): void {
    this.destroyed = true;
  }
  get menu(): MenuItemConstructorOptions[] {
    const menu = this.menus.at(-1);
    if (!menu) throw new Error("no menu set");
    return menu;
  }
  /** The menu entry labelled `label` (or, failing that, the first whose label starts with it). */
  item(label: string): MenuItemConstructorOptions {
    const item =
      this.menu.find((i) => i.label === label) ?? this.menu.find((i) => i.label?.startsWith(label));
    if (!item) throw new Error(`no menu item "${label}" in ${this.menu.map((i) => i.label).join(", ")}`);
    return item;
  }
  /** Clicks an entry as Electron does: a checkbox flips first, then its click handler runs. */
  click(label: string): void {
    const item = this.item(label);
    const checked = item.type === "checkbox" ? !item.checked : Boolean(item.checked);
    item.click?.({ checked } as never, undefined, {} as never);
  }
}

/** A recording webContents. */
export class FakeWebContents {
  static #next = 100;
  readonly id = FakeWebContents.#next++;
  sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

type Listener = (...args: never[]) => void;

/** A recording BrowserWindow. */
export class FakeWindow implements AppWindow {
  readonly webContents = new FakeWebContents();
  readonly options: BrowserWindowConstructorOptions;
  loads: string[] = [];
  visible = false;
  destroyed = false;
  minimized = false;
  focused = 0;
  bounds: Rectangle = { x: 40, y: 50, width: 900, height: 600 };
  readonly #listeners = new Map<string, Listener[]>();

  constructor(options: BrowserWindowConstructorOptions) {
    this.options = options;
  }
  async loadURL(url: string): Promise<void> {
    this.loads.push(url);
  }
  show(): void {
    this.visible = true;
    this.#emit("show");
  }
  hide(): void {
    this.visible = false;
    this.#emit("hide");
  }
  focus(): void {
    this.focused++;
  }
  restore(): void {
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getBounds(): Rectangle {
    return this.bounds;
  }
  on(event: "close", listener: (event: CloseEvent) => void): this;
  on(event: "closed" | "hide" | "show", listener: () => void): this;
  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }
  #emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }
  /** The user closes the window: listeners may prevent it; otherwise it is destroyed. */
  close(): { prevented: boolean } {
    let prevented = false;
    this.#emit("close", { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.visible = false;
      this.webContents.destroyed = true;
      this.#emit("closed");
    }
    return { prevented };
  }
}

/** A recording ipcMain that can invoke its handlers as a renderer would. */
export class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
  removed: string[] = [];
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
    this.removed.push(channel);
  }
  /** Calls a channel's handler as ipcMain.handle would (a throw becomes a rejection). */
  async invoke(channel: string, event: InvokeEventLike, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}

/** An invoke event from a webContents' top frame showing `url`. */
export function invokeEvent(senderId: number, url = `${UI_INDEX}#/calls`): InvokeEventLike {
  return { sender: { id: senderId }, senderFrame: { url, parent: null } };
}

/** A node-notifier stand-in: records notifications and lets the test answer them. */
export class FakeNotifier {
  sent: { options: NotifyOptions; callback: NotifyCallback }[] = [];
  /** Answer every notification at once with this error (no daemon), when set. */
  failWith: Error | undefined;
  notify(options: NotifyOptions, callback: NotifyCallback): this {
    this.sent.push({ options, callback });
    if (this.failWith) callback(this.failWith);
    return this;
  }
  get last(): { options: NotifyOptions; callback: NotifyCallback } {
    const last = this.sent.at(-1);
    if (!last) throw new Error("nothing was notified");
    return last;
  }
}
