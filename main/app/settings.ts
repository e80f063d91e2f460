/**
 * Settings: electron-store behind the core's `SettingsStore` interface (the same settings.json that
 * headless mode writes through `conf`), and the tray app's own typed settings on top of it. A stored value
 * of the wrong shape (a hand edit, an older version) reads as the default, never as a crash.
 */
import { DURATION_PATTERN, durationMs } from "../../shared/durations.js";
import type { SettingsStore } from "../core/config/settings.js";
import { DEFAULT_PORT } from "../core/runtime.js";

export { DEFAULT_PORT };

/** How a pending approval reaches the user. */
export type ApprovalAlert = "notification" | "prompt" | "both";

/** Which notifications the user wants. */
export interface NotificationChoices {
  /**
   * `notification`: a desktop notification; the prompt window opens only when no notification can be
   * shown. `prompt`: the prompt window opens at once. `both`: both.
   */
  approvals: ApprovalAlert;
  /** Notify when Deny all is turned on or off. */
  denyAll: boolean;
  /** Notify when an upstream server keeps crashing. */
  crashes: boolean;
}

/** A window's position and size. */
export interface WindowBounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The tray app's windows. */
export type WindowKind = "main" | "approval";

/** The tray app's settings, beside the core's (`denyAll`) in settings.json. */
export interface AppSettings {
  port: number;
  /** Approval wait for rules that set none, as a duration ("2m"). */
  approvalTimeout: string;
  notifications: NotificationChoices;
  startAtLogin: boolean;
  windowBounds: Partial<Record<WindowKind, WindowBounds>>;
}

export const DEFAULT_APP_SETTINGS: AppSettings = {
  port: DEFAULT_PORT,
  approvalTimeout: "2m",
  notifications: { approvals: "notification", denyAll: true, crashes: true },
  startAtLogin: false,
  windowBounds: {},
};

/** Any store with get and set by key (electron-store and conf both fit). */
export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** electron-store as the core's `SettingsStore`. */
export function storeSettings(store: KeyValueStore): SettingsStore {
  return { get: (key) => store.get(key), set: (key, value) => store.set(key, value) };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function validBounds(value: unknown): WindowBounds | undefined {
  if (!isRecord(value)) return undefined;
  const { x, y, width, height } = value;
  const ints = [x, y, width, height].every((n) => Number.isInteger(n));
  if (!ints || (width as number) < 100 || (height as number) < 100) return undefined;
  return { x: x as number, y: y as number, width: width as number, height: height as number };
}

/** Reads one stored value as its setting, or undefined when it has the wrong shape. */
const PARSERS: { [K in keyof AppSettings]: (value: unknown) => AppSettings[K] | undefined } = {
  port: (value) =>
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535
      ? (value as number)
      : undefined,
  approvalTimeout: (value) =>
    typeof value === "string" && DURATION_PATTERN.test(value) && durationMs(value) <= 7 * 86_400_000
      ? value
      : undefined,
  notifications: (value) => {
    if (!isRecord(value)) return undefined;
    const defaults = DEFAULT_APP_SETTINGS.notifications;
    const approvals = ["notification", "prompt", "both"].includes(value.approvals as string)
      ? (value.approvals as ApprovalAlert)
      : defaults.approvals;
    return {
      approvals,
      denyAll: typeof value.denyAll === "boolean" ? value.denyAll : defaults.denyAll,
      crashes: typeof value.crashes === "boolean" ? value.crashes : defaults.crashes,
    };
  },
  startAtLogin: (value) => (typeof value === "boolean" ? value : undefined),
  windowBounds: (value) => {
    if (!isRecord(value)) return undefined;
    const bounds: AppSettings["windowBounds"] = {};
    for (const kind of ["main", "approval"] as const) {
      const b = validBounds(value[kind]);
      if (b) bounds[kind] = b;
    }
    return bounds;
  },
};

/** The tray app's typed settings over a `SettingsStore`. */
export class AppSettingsStore {
  readonly #store: SettingsStore;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  /** A setting, or its default when unset or malformed. */
  get<K extends keyof AppSettings>(key: K): AppSettings[K] {
    return PARSERS[key](this.#store.get(key)) ?? structuredClone(DEFAULT_APP_SETTINGS[key]);
  }

  /** Stores a setting. */
  set<K extends keyof AppSettings>(key: K, value: AppSettings[K]): void {
    this.#store.set(key, value);
  }

  /** Remembers where a window was. */
  setWindowBounds(kind: WindowKind, bounds: WindowBounds): void {
    this.set("windowBounds", { ...this.get("windowBounds"), [kind]: bounds });
  }
}
