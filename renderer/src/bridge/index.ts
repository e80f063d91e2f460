/**
 * Picks the bridge: the Electron preload's `window.warden` when present, else the HTTP bridge with the
 * admin token taken from the address's fragment (`#token=…`), which is then stripped from the address
 * bar and history so it is neither shown, bookmarked nor sent anywhere.
 */

import type { WardenApi } from "../../../shared/contract.js";
import { PRELOAD_GLOBAL } from "../../../shared/ipc.js";
import { type ConnectionState, createHttpBridge } from "./http.js";

export type { ConnectionState };

/** The chosen bridge and a way to follow its connection. */
export interface Bridge {
  kind: "electron" | "http";
  api: WardenApi;
  /** Whether there is a token to talk with (always true in Electron). */
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

/** Reads the token from the fragment (`#token=…`) and replaces the address without the fragment. */
export function takeTokenFromLocation(
  location: Pick<Location, "hash" | "pathname" | "search">,
  history: Pick<History, "replaceState">,
): string | undefined {
  const hash = location.hash.replace(/^#/, "");
  if (!hash.startsWith("token=")) return undefined;
  const token = new URLSearchParams(hash).get("token") ?? "";
  history.replaceState(null, "", `${location.pathname}${location.search}`);
  return token || undefined;
}

/** Chooses the bridge for this window. */
export function pickBridge(win: Window): Bridge {
  const preload = (win as unknown as Record<string, unknown>)[PRELOAD_GLOBAL] as WardenApi | undefined;
  if (preload)
    return { kind: "electron", api: preload, hasToken: true, connection: new ConnectionStore("open") };
  const token = takeTokenFromLocation(win.location, win.history) ?? "";
  const connection = new ConnectionStore("connecting");
  const api = createHttpBridge({ token, onConnection: (state) => connection.set(state) });
  return { kind: "http", api, hasToken: token !== "", connection };
}
