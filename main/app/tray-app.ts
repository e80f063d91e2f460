/**
 * The tray app put together around a running core: the tray rendered from the core's state, its menu
 * commands, IPC for our windows, events streamed to them, notifications, and a clean shutdown. Everything
 * Electron is passed in, so tests run it against a real core with recording fakes.
 */
import type { MenuItemConstructorOptions } from "electron";
import type { Runtime } from "../core/runtime.js";
import type { CrashWatch } from "./crash-watch.js";
import { forwardEvents, type IpcMainLike, registerIpcHandlers, type TrustedSenders } from "./ipc.js";
import { type DesktopNotifications, wireNotifications } from "./notifications.js";
import { UI_ORIGIN } from "./protocol.js";
import type { AppSettingsStore } from "./settings.js";
import { type TrayCommands, type TrayTarget, TrayView } from "./tray.js";
import type { TrayIconName, TrayState } from "./tray-model.js";
import type { AppWindow, WindowManager } from "./windows.js";

/** The tray as the app holds it: what the view draws on, plus click and destroy. */
export interface AppTray<M> extends TrayTarget<M> {
  on(event: "click", listener: () => void): unknown;
  destroy(): void;
}

export interface TrayAppOptions<M, W extends AppWindow> {
  runtime: Pick<Runtime, "warden" | "close">;
  tray: AppTray<M>;
  buildMenu: (template: MenuItemConstructorOptions[]) => M;
  iconPath: (icon: TrayIconName) => string;
  windows: WindowManager<W>;
  notifications: DesktopNotifications;
  crashWatch: CrashWatch;
  ipcMain: IpcMainLike;
  trusted: TrustedSenders;
  settings: Pick<AppSettingsStore, "get" | "set">;
  /** Start at login as the OS sees it, and the switch. */
  loginItem: { get(): boolean; set(on: boolean): void };
  /** Asks the app to quit (`app.quit()`); the app then calls `shutdown()`. */
  quit: () => void;
  platform: NodeJS.Platform;
  /** How long frequent updates (calls, server states) wait to be drawn together. */
  refreshMs?: number;
  /** Told about refused IPC senders and failed notifications. */
  log?: (message: string) => void;
}

/** A running tray app. */
export interface TrayApp<M> {
  readonly view: TrayView<M>;
  readonly commands: TrayCommands;
  /** Draws the tray from the core's state now. */
  refresh(): void;
  /** Stops listening, removes IPC, closes windows and the tray, and closes the core. Idempotent. */
  shutdown(): Promise<void>;
}

/** Starts the tray app around a running core. */
export function startTrayApp<M, W extends AppWindow>(options: TrayAppOptions<M, W>): TrayApp<M> {
  const { runtime, windows, settings, loginItem } = options;
  const { warden } = runtime;

  const state = (): TrayState => {
    const s = warden.state();
    return {
      denyAll: s.denyAll,
      pending: s.pending.length,
      serversUp: s.servers.filter((server) => server.state === "connected").length,
      serversTotal: s.servers.length,
      callsToday: s.callsToday,
      startAtLogin: settings.get("startAtLogin"),
      signInNeeded: s.servers
        .filter((server) => server.state === "sign-in-needed")
        .map((server) => server.name),
    };
  };

  const openApprovals = () => {
    const oldest = warden.approvals()[0];
    windows.open(oldest ? { window: "approval", id: oldest.id } : { window: "main", page: "approvals" });
  };

  let view: TrayView<M>;
  let timer: NodeJS.Timeout | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = undefined;
    view.render(state());
  };
  const commands: TrayCommands = {
    // Synchronous all the way into the core: Deny all holds before this click handler returns.
    toggleDenyAll: (checked) => warden.setDenyAll(checked),
    openApprovals,
    openLiveCalls: () => windows.open({ window: "main", page: "calls" }),
    openPolicy: () => windows.open({ window: "main", page: "policy" }),
    openServers: () => windows.open({ window: "main", page: "servers" }),
    toggleStartAtLogin: (checked) => {
      try {
        loginItem.set(checked);
        settings.set("startAtLogin", loginItem.get());
      } catch (error) {
        options.log?.(`start at login could not be changed: ${(error as Error).message}`);
      }
      refresh();
    },
    quit: () => options.quit(),
  };
  view = new TrayView({
    tray: options.tray,
    buildMenu: options.buildMenu,
    iconPath: options.iconPath,
    commands,
  });

  const refreshSoon = () => {
    timer ??= setTimeout(refresh, options.refreshMs ?? 500);
  };

  settings.set("startAtLogin", loginItem.get());
  const offs: (() => void)[] = [
    warden.events.on("denyAll", refresh),
    warden.events.on("approvalAdded", refresh),
    warden.events.on("approvalEnded", refresh),
    warden.events.on("call", refreshSoon),
    warden.events.on("servers", refreshSoon),
    registerIpcHandlers({
      ipcMain: options.ipcMain,
      handlers: warden.methods,
      trusted: options.trusted,
      uiOrigin: UI_ORIGIN,
      onRefused: (channel, sender) => options.log?.(`refused ${channel} from webContents ${sender}`),
    }),
    forwardEvents(warden.events, options.trusted),
    wireNotifications(warden, options.notifications, options.crashWatch),
  ];
  // Windows and Linux: a click on the icon opens what needs attention (macOS shows the menu instead).
  if (options.platform !== "darwin") {
    options.tray.on("click", () =>
      warden.approvals().length > 0 ? openApprovals() : windows.open({ window: "main", page: "calls" }),
    );
  }
  refresh();

  let closing: Promise<void> | undefined;
  return {
    view,
    commands,
    refresh,
    shutdown: () => {
      closing ??= (async () => {
        clearTimeout(timer);
        for (const off of offs) off();
        windows.prepareToQuit();
        options.tray.destroy();
        // Upstream children stopped, pending approvals denied, the audit log closed.
        await runtime.close();
      })();
      return closing;
    },
  };
}
