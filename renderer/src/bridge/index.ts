/**
 * Picks the bridge: the Electron preload's `window.warden` when present, else the HTTP bridge, signed in
 * with the one-time code of the address's fragment (`#code=…`, stripped from the address bar and history
 * at once), which the warden exchanges for a session (main/core/ui-sessions.ts). The session's binding half
 * stays in this tab's sessionStorage, which is kept per origin (port included), so a reload stays signed in
 * and no page on another local port can read it.
 */

import type { WardenApi } from "../../../shared/contract.js";
import { PRELOAD_GLOBAL } from "../../../shared/ipc.js";
import { SIGN_IN_PATH } from "../../../shared/ui-session.js";
import { type ConnectionState, createHttpBridge } from "./http.js";

export type { ConnectionState };

/** The chosen bridge and a way to follow its connection. */
export interface Bridge {
  kind: "electron" | "http";
  api: WardenApi;
  /** Whether there is a session to talk with (always true in Electron). */
  hasToken: boolean;
  connection: ConnectionStore;
}

/** The connection state, and how many times it has opened (effects keyed on it re-read their data). */
export interface Connection {
  state: ConnectionState;
  generation: number;
}

/** A tiny observable of the connection, for `useSyncExternalStore`. */
export class ConnectionStore {
  #snapshot: Connection;
  readonly #listeners = new Set<() => void>();

  constructor(initial: ConnectionState) {
    this.#snapshot = { state: initial, generation: initial === "open" ? 1 : 0 };
  }

  set(state: ConnectionState): void {
    const { state: was, generation } = this.#snapshot;
    if (state === was) return;
    this.#snapshot = { state, generation: state === "open" ? generation + 1 : generation };
    for (const listener of this.#listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): Connection => this.#snapshot;
}

/** Where this tab keeps its session's binding half. */
export const SESSION_KEY = "mcp-warden-session";

/** Reads the sign-in code from the fragment (`#code=…`) and replaces the address without the fragment. */
export function takeCodeFromLocation(
  location: Pick<Location, "hash" | "pathname" | "search">,
  history: Pick<History, "replaceState">,
): string | undefined {
  const hash = location.hash.replace(/^#/, "");
  if (!hash.startsWith("code=")) return undefined;
  const code = new URLSearchParams(hash).get("code") ?? "";
  history.replaceState(null, "", `${location.pathname}${location.search}`);
  return code || undefined;
}

/**
 * Signs in: exchanges the fragment's code for a session (the warden sets its cookie, and answers with the
 * binding half, kept in `storage`), or resumes the session this tab already holds. Undefined: signed out.
 */
export async function signIn(
  win: Pick<Window, "location" | "history">,
  storage: Pick<Storage, "getItem" | "setItem">,
  doFetch: typeof fetch,
): Promise<string | undefined> {
  const code = takeCodeFromLocation(win.location, win.history);
  if (code) {
    const res = await doFetch(SIGN_IN_PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code }),
    }).catch(() => undefined);
    const binding = res?.ok ? ((await res.json()) as { binding?: unknown }).binding : undefined;
    if (typeof binding === "string") {
      storage.setItem(SESSION_KEY, binding);
      return binding;
    }
    // A used or expired code: a session this tab already holds still signs it in.
  }
  return storage.getItem(SESSION_KEY) ?? undefined;
}

/** Chooses the bridge for this window (signing in first, over HTTP). */
export async function pickBridge(win: Window): Promise<Bridge> {
  const preload = (win as unknown as Record<string, unknown>)[PRELOAD_GLOBAL] as WardenApi | undefined;
  if (preload)
    return { kind: "electron", api: preload, hasToken: true, connection: new ConnectionStore("open") };
  const session = await signIn(win, win.sessionStorage, win.fetch.bind(win));
  const connection = new ConnectionStore("connecting");
  const api = createHttpBridge({ session: session ?? "", onConnection: (state) => connection.set(state) });
  return { kind: "http", api, hasToken: session !== undefined, connection };
}
