/**
 * How the contract crosses Electron's IPC: the names both the preload and the main process use.
 * One invoke channel per method, one channel for all events; the preload exposes `window.warden`.
 */
import type { WardenEventName, WardenEvents, WardenMethodName } from "./contract.js";

/** The global the preload defines in the renderer (`window.warden`), implementing `WardenApi`. */
export const PRELOAD_GLOBAL = "warden";

/** The invoke channel of a contract method. */
export function methodChannel(method: WardenMethodName): `warden:${WardenMethodName}` {
  return `warden:${method}`;
}

/** The channel every event travels on, as `{event, payload}`. */
export const EVENT_CHANNEL = "warden:event";

/** One event as it travels over IPC. */
export type EventMessage = {
  [E in WardenEventName]: { event: E; payload: WardenEvents[E] };
}[WardenEventName];
