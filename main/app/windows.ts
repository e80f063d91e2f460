/**
 * Windows on demand: the main window (Live calls, Approvals, Policy editor, Servers — routes of
 * one React app) and the approval prompt (small, always on top). Each is created the first time it is
 * needed, hidden rather than destroyed when closed, remembers its bounds, and is trusted for IPC only
 * while it lives. Every window gets the same locked-down web preferences (navigation, new windows and
 * permissions are refused app-wide, for every webContents, by security.ts).
 */
import type { BrowserWindowConstructorOptions, Rectangle } from "electron";
import type { TrustedSenders } from "./ipc.js";
import { UI_INDEX } from "./protocol.js";
import type { PreventableEvent } from "./security.js";
import type { AppSettingsStore, WindowBounds, WindowKind } from "./settings.js";

/** A place in the UI: a main-window page, or the approval prompt (on one request when `id` is given). */
export type Route =
  | { window: "main"; page: "calls" | "approvals" | "policy" | "servers" }
  | { window: "approval"; id?: string };

/**
 * The UI address of a route. Pages are the React app's hash routes (`#/calls`, `#/approval`, …); the
 * request the prompt should show first rides in the query (`?approval=<id>`), which the hash router
 * leaves alone.
 */
export function routeUrl(route: Route): string {
  if (route.window === "main") return `${UI_INDEX}#/${route.page}`;
  return route.id === undefined
    ? `${UI_INDEX}#/approval`
    : `${UI_INDEX}?approval=${encodeURIComponent(route.id)}#/approval`;
}

const SIZES: Record<WindowKind, { width: number; height: number; minWidth: number; minHeight: number }> = {
  main: { width: 1100, height: 720, minWidth: 720, minHeight: 480 },
  approval: { width: 520, height: 700, minWidth: 420, minHeight: 420 },
};

/** The options a window of a kind is created with. */
export function windowOptions(
  kind: WindowKind,
  preloadPath: string,
  bounds: WindowBounds | undefined,
  icon?: string,
): BrowserWindowConstructorOptions {
  const size = SIZES[kind];
  return {
    ...(bounds ?? { width: size.width, height: size.height, center: true }),
    minWidth: size.minWidth,
    minHeight: size.minHeight,
    title: kind === "approval" ? "Approve a tool call — MCP Warden" : "MCP Warden",
    show: false,
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    ...(kind === "approval"
      ? { alwaysOnTop: true, minimizable: false, maximizable: false, fullscreenable: false }
      : {}),
    webPreferences: {
      preload: preloadPath,
      // SECURITY: the page's JavaScript runs in its own world, apart from the preload's.
      contextIsolation: true,
      // SECURITY: the renderer is sandboxed by the OS; the preload gets only Electron's sandboxed subset.
      sandbox: true,
      // SECURITY: no Node.js in the page, in workers or in subframes.
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      // SECURITY: the same-origin policy stays on.
      webSecurity: true,
      // SECURITY: no http content in our https-like origin.
      allowRunningInsecureContent: false,
      // SECURITY: no <webview> tags.
      webviewTag: false,
      // SECURITY: no experimental web platform features.
      experimentalFeatures: false,
      // SECURITY: middle-click cannot open new windows.
      disableBlinkFeatures: "Auxclick",
      // SECURITY: a dropped file or link does not navigate the window.
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

/** An event a window's `close` listener gets. */
export type CloseEvent = PreventableEvent;

/** The part of a `BrowserWindow` the manager uses. */
export interface AppWindow {
  readonly webContents: {
    readonly id: number;
    send(channel: string, ...args: unknown[]): void;
    isDestroyed(): boolean;
  };
  loadURL(url: string): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isVisible(): boolean;
  isDestroyed(): boolean;
  getBounds(): Rectangle;
  on(event: "close", listener: (event: CloseEvent) => void): unknown;
  on(event: "closed", listener: () => void): unknown;
  on(event: "hide", listener: () => void): unknown;
  on(event: "show", listener: () => void): unknown;
}

export interface WindowManagerOptions<W extends AppWindow> {
  /** `new BrowserWindow(options)` in the app. */
  create: (options: BrowserWindowConstructorOptions) => W;
  preloadPath: string;
  settings: Pick<AppSettingsStore, "get" | "setWindowBounds">;
  trusted: TrustedSenders;
  /** Told whenever some window shows or the last one hides (macOS shows the dock icon meanwhile). */
  onVisibleChange?: (anyVisible: boolean) => void;
  icon?: string;
}

/** Creates, shows, hides and finally destroys the app's windows. */
export class WindowManager<W extends AppWindow> {
  readonly #options: WindowManagerOptions<W>;
  readonly #windows = new Map<WindowKind, { window: W; url: string }>();
  #quitting = false;

  constructor(options: WindowManagerOptions<W>) {
    this.#options = options;
  }

  /** The window of a kind, when it exists. */
  get(kind: WindowKind): W | undefined {
    return this.#windows.get(kind)?.window;
  }

  /** Every live window. */
  all(): W[] {
    return [...this.#windows.values()].map((w) => w.window).filter((w) => !w.isDestroyed());
  }

  /** Shows a route, creating its window when needed; loads the route only when it changed. */
  open(route: Route): W {
    const kind = route.window;
    const url = routeUrl(route);
    let entry = this.#windows.get(kind);
    if (entry?.window.isDestroyed()) {
      this.#windows.delete(kind);
      entry = undefined;
    }
    if (!entry) {
      entry = { window: this.#create(kind), url: "" };
      this.#windows.set(kind, entry);
    }
    const { window } = entry;
    const reveal = () => {
      if (window.isDestroyed()) return;
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
    };
    if (entry.url !== url) {
      entry.url = url;
      // A failed load still shows the window (with the protocol's "not built" page).
      window.loadURL(url).then(reveal, reveal);
    } else {
      reveal();
    }
    return window;
  }

  /** From now on, closing a window destroys it (the app is quitting); saves every window's bounds. */
  prepareToQuit(): void {
    this.#quitting = true;
    for (const [kind, { window }] of this.#windows) this.#saveBounds(kind, window);
  }

  #saveBounds(kind: WindowKind, window: W): void {
    if (window.isDestroyed()) return;
    const { x, y, width, height } = window.getBounds();
    this.#options.settings.setWindowBounds(kind, { x, y, width, height });
  }

  #anyVisible(): boolean {
    return this.all().some((w) => w.isVisible());
  }

  #create(kind: WindowKind): W {
    const { create, preloadPath, settings, trusted, icon } = this.#options;
    const window = create(windowOptions(kind, preloadPath, settings.get("windowBounds")[kind], icon));
    const contentsId = window.webContents.id;
    trusted.add(window.webContents);
    window.on("close", (event) => {
      this.#saveBounds(kind, window);
      if (this.#quitting) return;
      // Hidden, not destroyed: reopening is instant and the tray app keeps running.
      event.preventDefault();
      window.hide();
    });
    window.on("closed", () => {
      trusted.delete(contentsId);
      if (this.#windows.get(kind)?.window === window) this.#windows.delete(kind);
    });
    window.on("show", () => this.#options.onVisibleChange?.(true));
    window.on("hide", () => this.#options.onVisibleChange?.(this.#anyVisible()));
    return window;
  }
}
