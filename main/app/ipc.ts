/**
 * The contract over Electron IPC (GitHub Desktop's ipc-main idea): one `ipcMain.handle` per method in
 * WARDEN_METHODS, answered by the core's `warden.methods`, each refusing any sender that is not one of our
 * windows showing our UI; and the core's events forwarded to our windows on EVENT_CHANNEL. Nothing else
 * is registered, so nothing else crosses.
 */
import {
  WARDEN_EVENTS,
  WARDEN_METHODS,
  type WardenEventName,
  type WardenEvents,
  type WardenHandlers,
  type WardenMethodName,
} from "../../shared/contract.js";
import { EVENT_CHANNEL, type EventMessage, methodChannel } from "../../shared/ipc.js";

/** The part of an `IpcMainInvokeEvent` the sender check reads. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of `ipcMain` used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The part of a `WebContents` events are sent to. */
export interface EventReceiver {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/** The webContents of our own windows: the only senders IPC answers. */
export class TrustedSenders {
  readonly #contents = new Map<number, EventReceiver>();

  /** Trusts a window's webContents until it is removed (or destroyed). */
  add(contents: EventReceiver): void {
    this.#contents.set(contents.id, contents);
  }

  delete(id: number): void {
    this.#contents.delete(id);
  }

  has(id: number): boolean {
    const contents = this.#contents.get(id);
    return contents !== undefined && !contents.isDestroyed();
  }

  /** The trusted webContents still alive. */
  targets(): EventReceiver[] {
    return [...this.#contents.values()].filter((c) => !c.isDestroyed());
  }
}

/** Thrown to the renderer when a sender is refused. */
export class UntrustedSenderError extends Error {}

/**
 * Whether an invoke comes from one of our windows, from its top frame (we have no subframes), showing a
 * page of our own UI origin (`app://warden/…`).
 */
export function isTrustedSender(event: InvokeEventLike, trusted: TrustedSenders, uiOrigin: string): boolean {
  const frame = event.senderFrame;
  if (!trusted.has(event.sender.id) || frame === null || frame.parent !== null) return false;
  return frame.url.startsWith(`${uiOrigin}/`);
}

/** Parameters as the core expects them: a plain object (none means `{}`). */
function paramsObject(method: WardenMethodName, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${method}: parameters must be an object`);
  }
  return value as Record<string, unknown>;
}

export interface IpcOptions {
  ipcMain: IpcMainLike;
  handlers: WardenHandlers;
  trusted: TrustedSenders;
  /** Our UI's origin, e.g. `app://warden`. */
  uiOrigin: string;
  /** Told about every refused sender (for the log). */
  onRefused?: (channel: string, senderId: number) => void;
}

/** Registers one handler per contract method; returns a function that removes them all. */
export function registerIpcHandlers(options: IpcOptions): () => void {
  const { ipcMain, handlers, trusted, uiOrigin } = options;
  const channels = WARDEN_METHODS.map((method) => {
    const channel = methodChannel(method);
    const handler = handlers[method] as (params: Record<string, unknown>) => unknown;
    ipcMain.handle(channel, (event, params) => {
      // SECURITY: only our windows, on our UI origin, reach the core; any other sender is refused.
      if (!isTrustedSender(event, trusted, uiOrigin)) {
        options.onRefused?.(channel, event.sender.id);
        throw new UntrustedSenderError(`${channel}: refused, the sender is not an MCP Warden window`);
      }
      return handler(paramsObject(method, params));
    });
    return channel;
  });
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

/** The part of the core's emitter used here. */
export interface EventSource {
  on<E extends WardenEventName>(event: E, listener: (payload: WardenEvents[E]) => void): () => void;
}

/** Sends every contract event to our windows on EVENT_CHANNEL; returns the unsubscribe function. */
export function forwardEvents(events: EventSource, trusted: TrustedSenders): () => void {
  const offs = WARDEN_EVENTS.map((event) =>
    events.on(event, (payload) => {
      const message = { event, payload } as EventMessage;
      for (const target of trusted.targets()) target.send(EVENT_CHANNEL, message);
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}
