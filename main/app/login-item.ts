/**
 * Start at login. macOS and Windows through `app.setLoginItemSettings`; Electron does not implement it on
 * Linux, so there the app writes the XDG autostart entry (~/.config/autostart/mcp-warden.desktop) that
 * desktop sessions read.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** The part of Electron's `app` used here. */
export interface LoginItemApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void;
  getLoginItemSettings(options?: { path?: string; args?: string[] }): { openAtLogin: boolean };
}

export interface LoginItemOptions {
  app: LoginItemApp;
  platform: NodeJS.Platform;
  /** The executable to start (the AppImage itself when running from one). */
  execPath: string;
  /** Arguments it needs (the app folder when running unpackaged). */
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** The XDG autostart entry's path. */
export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "autostart", "mcp-warden.desktop");
}

/**
 * Quotes one argument for a desktop entry's Exec key (freedesktop Desktop Entry spec): `%` doubled; in
 * quotes, `"` `` ` `` `$` `\` backslash-escaped, and then every backslash escaped again, because the
 * key's string escapes are undone before its quoting is.
 */
function execQuote(arg: string): string {
  const fields = arg.replace(/%/g, "%%");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(fields)) return fields;
  return `"${fields.replace(/(["`$\\])/g, "\\$1").replace(/\\/g, "\\\\")}"`;
}

/** The autostart entry's text. */
export function autostartEntry(execPath: string, args: readonly string[]): string {
  return [
    "[Desktop Entry]",
    "Type=Application",
    "Name=MCP Warden",
    "Comment=A local guard for AI agents' tool calls",
    `Exec=${[execPath, ...args].map(execQuote).join(" ")}`,
    "Terminal=false",
    "X-GNOME-Autostart-enabled=true",
    "",
  ].join("\n");
}

/**
 * Windows keys its login item by executable and arguments: reading it back without the same `path` and
 * `args` that were set asks about a different entry (in development, plain electron.exe with no app
 * folder) and answers false. Both calls take them from here.
 */
function windowsItem(options: LoginItemOptions): { path: string; args: string[] } {
  return { path: options.execPath, args: options.args };
}

/** Whether the app starts at login now, as the OS sees it. */
export function startsAtLogin(options: LoginItemOptions): boolean {
  if (options.platform === "linux") return existsSync(autostartFile(options.env));
  if (options.platform === "win32") return options.app.getLoginItemSettings(windowsItem(options)).openAtLogin;
  return options.app.getLoginItemSettings().openAtLogin;
}

/** Turns start at login on or off. */
export function setStartAtLogin(on: boolean, options: LoginItemOptions): void {
  const { app, platform, execPath, args } = options;
  if (platform === "linux") {
    const file = autostartFile(options.env);
    if (on) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, autostartEntry(execPath, args), { mode: 0o644 });
    } else {
      rmSync(file, { force: true });
    }
    return;
  }
  app.setLoginItemSettings(
    platform === "win32" ? { openAtLogin: on, ...windowsItem(options) } : { openAtLogin: on },
  );
}
