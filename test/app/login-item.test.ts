/** Start at login: Electron's login items on macOS and Windows, an XDG autostart entry on Linux. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  autostartEntry,
  autostartFile,
  type LoginItemApp,
  setStartAtLogin,
  startsAtLogin,
} from "../../main/app/login-item.js";
import { tempFolder } from "./fakes.js";

const folders: { remove: () => void }[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) f.remove();
});

function fakeApp() {
  const calls: Parameters<LoginItemApp["setLoginItemSettings"]>[0][] = [];
  let open = false;
  const app: LoginItemApp = {
    setLoginItemSettings: (s) => {
      calls.push(s);
      open = s.openAtLogin;
    },
    getLoginItemSettings: () => ({ openAtLogin: open }),
  };
  return { app, calls };
}

describe("start at login", () => {
  it("macOS uses app.setLoginItemSettings", () => {
    const { app, calls } = fakeApp();
    const options = { app, platform: "darwin" as const, execPath: "/Applications/MCP Warden.app", args: [] };
    setStartAtLogin(true, options);
    expect(calls).toEqual([{ openAtLogin: true }]);
    expect(startsAtLogin(options)).toBe(true);
  });

  it("Windows passes the executable and its arguments", () => {
    const { app, calls } = fakeApp();
    setStartAtLogin(true, { app, platform: "win32", execPath: "C:\\MCP Warden.exe", args: ["--x"] });
    expect(calls).toEqual([{ openAtLogin: true, path: "C:\\MCP Warden.exe", args: ["--x"] }]);
  });

  it("Windows reads back the entry it set, with the same executable and arguments (development too)", () => {
    // Windows keys login items by executable and arguments, as this stand-in does.
    const entries = new Map<string, boolean>();
    const key = (s: { path?: string; args?: string[] }) =>
      JSON.stringify([s.path ?? "electron.exe", s.args ?? []]);
    const reads: unknown[] = [];
    const app: LoginItemApp = {
      setLoginItemSettings: (s) => void entries.set(key(s), s.openAtLogin),
      getLoginItemSettings: (s) => {
        reads.push(s);
        return { openAtLogin: entries.get(key(s ?? {})) ?? false };
      },
    };
    const options = {
      app,
      platform: "win32" as const,
      execPath: "C:\\dev\\electron.exe",
      args: ["C:\\repo"],
    };
    expect(startsAtLogin(options)).toBe(false);
    setStartAtLogin(true, options);
    expect(startsAtLogin(options)).toBe(true);
    expect(reads.at(-1)).toEqual({ path: "C:\\dev\\electron.exe", args: ["C:\\repo"] });
    setStartAtLogin(false, options);
    expect(startsAtLogin(options)).toBe(false);
  });

  it("Linux writes and removes an XDG autostart entry", () => {
    const folder = tempFolder();
    folders.push(folder);
    const { app, calls } = fakeApp();
    const env = { XDG_CONFIG_HOME: folder.dir };
    const options = {
      app,
      platform: "linux" as const,
      execPath: "/opt/MCP Warden/mcp-warden",
      args: ["/app dir"],
      env,
    };
    expect(startsAtLogin(options)).toBe(false);
    setStartAtLogin(true, options);
    const file = join(folder.dir, "autostart", "mcp-warden.desktop");
    expect(autostartFile(env)).toBe(file);
    expect(readFileSync(file, "utf8")).toContain('Exec="/opt/MCP Warden/mcp-warden" "/app dir"');
    expect(startsAtLogin(options)).toBe(true);
    setStartAtLogin(false, options);
    expect(existsSync(file)).toBe(false);
    expect(calls).toEqual([]);
  });

  it("the desktop entry quotes what needs quoting", () => {
    expect(autostartEntry("/usr/bin/mcp-warden", [])).toContain("Exec=/usr/bin/mcp-warden\n");
    expect(autostartEntry('/a "b"$c', ["50%", "a b"])).toContain('Exec="/a \\\\"b\\\\"\\\\$c" 50%% "a b"');
    expect(autostartEntry("/x", [])).toMatch(/^\[Desktop Entry\]\nType=Application\nName=MCP Warden\n/);
  });
});
