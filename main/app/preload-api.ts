/**
 * The renderer's side of the contract (GitHub Desktop's main-process-proxy idea): exactly one function
 * per method in WARDEN_METHODS, each invoking that method's channel with its parameters, plus `on` for
 * events, whose listeners get the payload and never the IPC event. Built from the contract's list, so a
 * method added to the contract appears here typed, and nothing else can be reached.
 */
import {
  WARDEN_EVENTS,
  WARDEN_METHODS,
  type WardenApi,
  type WardenEventName,
  type WardenEvents,
} from "../../shared/contract.js";
import { EVENT_CHANNEL, type EventMessage, methodChannel, PRELOAD_GLOBAL } from "../../shared/ipc.js";

/** The part of `ipcRenderer` the API uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The part of `contextBridge` the preload uses. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

type Listener = (payload: never) => void;

function isEventMessage(value: unknown): value is EventMessage {
  return (
    typeof value === "object" &&
    value !== null &&
    (WARDEN_EVENTS as readonly string[]).includes((value as { event?: unknown }).event as string)
  );
}

/** The `WardenApi` over IPC. */
export function createWardenApi(ipc: IpcRendererLike): WardenApi {
  const listeners = new Map<WardenEventName, Set<Listener>>();
  // One IPC listener for all subscriptions, attached while anyone listens.
  const dispatch = (_event: unknown, message: unknown) => {
    if (!isEventMessage(message)) return;
    for (const listener of [...(listeners.get(message.event) ?? [])]) {
      try {
        (listener as (payload: unknown) => void)(message.payload);
      } catch (error) {
        console.error(`warden: a listener for "${message.event}" threw`, error);
      }
    }
  };
  const subscribed = () => [...listeners.values()].some((set) => set.size > 0);

  const on = <E extends WardenEventName>(event: E, listener: (payload: WardenEvents[E]) => void) => {
    if (!(WARDEN_EVENTS as readonly string[]).includes(event)) throw new Error(`no event "${String(event)}"`);
    if (typeof listener !== "function") throw new TypeError("the listener must be a function");
    if (!subscribed()) ipc.on(EVENT_CHANNEL, dispatch);
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    set.add(listener as Listener);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(listener as Listener);
      if (!subscribed()) ipc.removeListener(EVENT_CHANNEL, dispatch);
    };
  };

  const methods = Object.fromEntries(
    WARDEN_METHODS.map((method) => [
      method,
      (params?: unknown) => ipc.invoke(methodChannel(method), params ?? {}),
    ]),
  );
  return Object.freeze({ ...methods, on }) as unknown as WardenApi;
}

/** Exposes the API as `window.warden` in the renderer's main world; nothing else is exposed. */
export function exposeWardenApi(bridge: ContextBridgeLike, ipc: IpcRendererLike): void {
  bridge.exposeInMainWorld(PRELOAD_GLOBAL, createWardenApi(ipc));
}
