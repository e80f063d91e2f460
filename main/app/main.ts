/**
 * The tray app's entry (bundled to out/main/index.js): one instance, no window until one is asked for,
 * the core running in this process through the same start-up path as `mcp-warden serve` (same data
 * folder, same endpoints and control API), and a clean quit. The only file that touches Electron's
 * objects; everything it wires lives in small modules beside it.
 *
 * Flags: --data-dir DIR, --port N (else settings, else 17430), --demo (adds the stand-in virtualization
 * server, as `serve --demo` does).
 */
import { existsSync, mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  type MenuItemConstructorOptions,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
} from "electron";
import ElectronStore from "electron-store";
import notifier from "node-notifier";
import type { BridgeCommand } from "../core/clients/client-configs.js";
import { defaultDataDir } from "../core/config/data-dir.js";
import type { ServerConfig } from "../core/config/servers-config.js";
import { type Runtime, StartupError, startRuntime } from "../core/runtime.js";
import { APP_ID } from "./app-id.js";
import { CrashWatch } from "./crash-watch.js";
import { electronNotifier } from "./electron-notifier.js";
import { TrustedSenders } from "./ipc.js";
import { bridgeLauncher, offerMoveToApplications, unpacked } from "./launcher.js";
import { setStartAtLogin, startsAtLogin } from "./login-item.js";
import { DesktopNotifications, type Notifier } from "./notifications.js";
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, UI_ORIGIN, uiProtocolHandler } from "./protocol.js";
import { hardenSession, hardenWebContents, isAllowedExternalUrl } from "./security.js";
import { AppSettingsStore, storeSettings } from "./settings.js";
import { adoptLoginShellPath } from "./shell-path.js";
import { keychainBox, signInOpener } from "./sign-in-shell.js";
import { Startup } from "./startup.js";
import { startTrayApp } from "./tray-app.js";
import { iconsDir, trayIconFile } from "./tray-icons.js";
import type { TrayIconName } from "./tray-model.js";
import { WindowManager } from "./windows.js";

const log = (message: string) => process.stderr.write(`mcp-warden: ${message}\n`);

interface Flags {
  dataDir: string;
  port: number | undefined;
  demo: boolean;
}

function readFlags(): Flags {
  // Packaged, argv is [app, ...flags]; unpackaged, [electron, appDir, ...flags].
  const { values } = parseArgs({
    args: process.argv.slice(app.isPackaged ? 1 : 2),
    options: { "data-dir": { type: "string" }, port: { type: "string" }, demo: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
  });
  const port = typeof values.port === "string" ? Number(values.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new StartupError(`--port must be 0–65535, not "${String(values.port)}"`);
  }
  const dataDir = typeof values["data-dir"] === "string" ? values["data-dir"] : defaultDataDir();
  return { dataDir: resolve(dataDir), port, demo: values.demo === true };
}

/** The stand-in virtualization server, run by this binary as plain Node. */
function demoServer(appPath: string): ServerConfig {
  const script = join(unpacked(appPath), "dist", "demo", "virtualization-server.js");
  if (!existsSync(script))
    throw new StartupError(`the demo server is not built (${script}); run npm run build`);
  return {
    command: process.execPath,
    args: [script, "--mode", "testing"],
    env: { ELECTRON_RUN_AS_NODE: "1" },
  };
}

/** Electron's own notifications on macOS and Windows; node-notifier's notify-send on Linux. */
function desktopNotifier(): Notifier {
  if (process.platform === "darwin" || process.platform === "win32")
    return electronNotifier(Notification, process.platform);
  return notifier;
}

/** The bridge for wrapped clients, and why it cannot be written into their configs from this copy. */
function launcherOptions(appPath: string): { bridge: BridgeCommand; bridgeRefused?: string } {
  const { bridge, refused } = bridgeLauncher({
    platform: process.platform,
    execPath: process.execPath,
    appPath,
    env: process.env,
  });
  if (refused) log(refused);
  return refused ? { bridge, bridgeRefused: refused } : { bridge };
}

/** The slow part of the start, behind the tray already shown: PATH, the core, the full tray app. */
async function startApp(
  flags: Flags,
  appPath: string,
  assets: string,
  tray: Tray,
  iconPath: (icon: TrayIconName) => string,
) {
  mkdirSync(flags.dataDir, { recursive: true, mode: 0o700 });
  // The same settings.json the headless mode writes through conf.
  const store = new ElectronStore<Record<string, unknown>>({
    cwd: flags.dataDir,
    name: "settings",
    configFileMode: 0o600,
  });
  const coreSettings = storeSettings(store);
  const settings = new AppSettingsStore(coreSettings);

  hardenSession(session.defaultSession, UI_ORIGIN);
  protocol.handle(APP_SCHEME, uiProtocolHandler(join(appPath, "dist", "ui")));

  // Wrapped servers start with npx, uvx or node: give them the PATH the user's terminal has.
  const user = userInfo();
  await adoptLoginShellPath(process.platform, process.env, { shell: user.shell, home: user.homedir }, log);
  // Upstream OAuth tokens are sealed by the system keychain where there is one.
  const keychain = keychainBox(safeStorage);
  const runtime: Runtime = await startRuntime({
    dataDir: flags.dataDir,
    port: flags.port ?? settings.get("port"),
    settings: coreSettings,
    // As `serve` does: the UI is also at the core's address, for a browser.
    uiDir: join(appPath, "dist", "ui"),
    ...(flags.demo ? { demo: demoServer(appPath) } : {}),
    // The command written into clients' configs: a path that stays (the AppImage file, never a translocated copy).
    ...launcherOptions(appPath),
    ...(keychain ? { secretBox: keychain } : {}),
    openBrowser: signInOpener((url) => shell.openExternal(url)),
    // The port opens at once; each server connects in the background and a client's first request waits for it.
    connectInBackground: true,
  });
  log(`listening on ${runtime.http.url} (data folder ${flags.dataDir})`);

  const trusted = new TrustedSenders();
  const appIcon = join(assets, "icon.png");
  const windows = new WindowManager<BrowserWindow>({
    // SECURITY: options come from windowOptions() (windows.ts, checked by test/app/windows.test.ts):
    // contextIsolation and sandbox on, nodeIntegration off, Auxclick disabled; app.enableSandbox() below
    // sandboxes every renderer regardless. electronegativity cannot follow them here, hence the marker.
    create: (options) => new BrowserWindow(options), // eng-disable CONTEXT_ISOLATION_JS_CHECK SANDBOX_JS_CHECK AUXCLICK_JS_CHECK NODE_INTEGRATION_JS_CHECK
    preloadPath: join(appPath, "out", "preload", "preload.cjs"),
    settings,
    trusted,
    onVisibleChange: (visible) => {
      if (visible) void app.dock?.show();
      else app.dock?.hide();
    },
    ...(process.platform === "linux" ? { icon: appIcon } : {}),
  });
  const notifications = new DesktopNotifications({
    notifier: desktopNotifier(),
    platform: process.platform,
    choices: () => settings.get("notifications"),
    openPrompt: (id) => windows.open({ window: "approval", id }),
    openServers: () => windows.open({ window: "main", page: "servers" }),
    approve: (id, callHash) => runtime.warden.methods.approve({ id, callHash }),
    deny: (id) => runtime.warden.methods.deny({ id }),
    onProblem: log,
    ...(existsSync(appIcon) ? { icon: appIcon } : {}),
    appID: APP_ID,
  });
  const loginOptions = {
    app,
    platform: process.platform,
    execPath: process.env.APPIMAGE ?? process.execPath,
    args: app.isPackaged ? [] : [appPath],
  };
  const trayApp = startTrayApp({
    runtime,
    tray,
    buildMenu: (template: MenuItemConstructorOptions[]) => Menu.buildFromTemplate(template),
    iconPath,
    windows,
    notifications,
    crashWatch: new CrashWatch(),
    ipcMain,
    trusted,
    settings,
    loginItem: { get: () => startsAtLogin(loginOptions), set: (on) => setStartAtLogin(on, loginOptions) },
    quit: () => app.quit(),
    platform: process.platform,
    log,
  });
  return {
    windows,
    openLiveCalls: () => trayApp.commands.openLiveCalls(false),
    shutdown: () => trayApp.shutdown(),
  };
}

async function run(): Promise<void> {
  const flags = readFlags();
  await app.whenReady();
  // A tray app: no dock icon on macOS until a window is open.
  app.dock?.hide();
  if (process.platform === "win32") app.setAppUserModelId(APP_ID);
  // No File/Edit/View menu bar on Windows and Linux (macOS keeps its app menu: it carries the edit shortcuts).
  if (process.platform !== "darwin") Menu.setApplicationMenu(null);

  // macOS, opened from Downloads: offer the move to Applications first (Electron relaunches it from there).
  const moving = await offerMoveToApplications(
    { platform: process.platform, execPath: process.execPath },
    {
      moveToApplicationsFolder: () => app.moveToApplicationsFolder(),
      ask: async (options) => {
        // A menu-bar app is not frontmost when it starts: bring the question to the front.
        app.focus({ steal: true });
        return (await dialog.showMessageBox({ ...options, defaultId: 0, cancelId: 1 })).response;
      },
    },
    log,
  );
  if (moving) return;

  const appPath = app.getAppPath();
  const assets = iconsDir({ isPackaged: app.isPackaged, appPath, resourcesPath: process.resourcesPath });
  const iconPath = (icon: TrayIconName) => trayIconFile(assets, icon, process.platform);
  // The tray first, in its "starting" state: the user sees the app at once, whatever the servers do.
  const tray = new Tray(iconPath("normal"));
  const startup = new Startup({
    tray,
    buildMenu: (template: MenuItemConstructorOptions[]) => Menu.buildFromTemplate(template),
    iconPath,
    quit: () => app.quit(),
    start: () => startApp(flags, appPath, assets, tray, iconPath),
  });

  // Registered before the core starts: a second launch during the start opens Live calls once it is up.
  app.on("second-instance", () => startup.secondInstance());
  // macOS: a click on the dock icon (shown while a window is open) brings a window back.
  app.on("activate", () => {
    if (!startup.app?.windows.all().some((w) => w.isVisible())) startup.secondInstance();
  });
  app.on("before-quit", () => startup.app?.windows.prepareToQuit());
  let closed = false;
  app.on("will-quit", (event) => {
    if (closed) return;
    // Hold the quit until the core has stopped its upstreams, denied pending approvals and closed its log
    // (after the start, when a Quit comes during it).
    event.preventDefault();
    void startup.shutdown().finally(() => {
      closed = true;
      app.quit();
    });
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => app.quit());

  try {
    await startup.run();
  } catch (error) {
    dialog.showErrorBox("MCP Warden cannot start", (error as Error).message);
    app.exit(error instanceof StartupError ? 2 : 1);
  }
}

// SECURITY: every renderer is sandboxed, whatever a window's options say.
app.enableSandbox();
// SECURITY: our UI's scheme is registered as standard and secure before the app is ready (protocol.ts).
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
app.on("web-contents-created", (_event, contents) => {
  // SECURITY: navigation, redirects, new windows and webviews refused in every webContents.
  hardenWebContents(
    contents,
    (url) =>
      // SECURITY: only allow-listed https URLs reach the OS (isAllowedExternalUrl, security.test.ts).
      isAllowedExternalUrl(url) ? shell.openExternal(url) : Promise.resolve(), // eng-disable OPEN_EXTERNAL_JS_CHECK
  );
});
// A tray app keeps running with no window open.
app.on("window-all-closed", () => {});

if (!app.requestSingleInstanceLock()) {
  // Another MCP Warden runs: it opens its window (second-instance) and this one leaves.
  app.quit();
} else {
  run().catch((error: unknown) => {
    log(`failed to start: ${(error as Error).stack ?? String(error)}`);
    dialog.showErrorBox("MCP Warden cannot start", (error as Error).message);
    app.exit(1);
  });
}
