/**
 * Settings the core persists (Deny-all among them). The core takes this interface: the Electron app
 * passes electron-store, headless mode and tests pass `conf` in the data folder — the same file format.
 */
import Conf from "conf";

/** A key-value store that survives restarts. */
export interface SettingsStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** The headless store: `settings.json` in the data folder, written with user-only permissions. */
export function fileSettings(dataDir: string): SettingsStore {
  const conf = new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: "settings",
    projectName: "mcp-warden",
    configFileMode: 0o600,
  });
  return { get: (key) => conf.get(key), set: (key, value) => conf.set(key, value) };
}
