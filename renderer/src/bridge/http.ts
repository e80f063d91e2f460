/**
 * `WardenApi` over the headless server's HTTP bridge: each method is `POST /api/<method>` with a JSON
 * body, events come from `GET /api/events` (server-sent events). Both are signed in by the session: its
 * cookie goes with every same-origin request by itself, and its binding half is sent as a header (see
 * main/core/ui-sessions.ts), so the stream is read with fetch and a stream reader (EventSource cannot send
 * headers). The admin token never reaches the page.
 */
import {
  WARDEN_EVENTS,
  WARDEN_METHODS,
  type WardenApi,
  type WardenEventName,
  type WardenEvents,
} from "../../../shared/contract.js";
import { SESSION_HEADER } from "../../../shared/ui-session.js";
import { SseParser } from "./sse.js";

/** Whether the event stream is up. */
export type ConnectionState = "connecting" | "open" | "retrying" | "unauthorized";

/** A request the server refused because the session is missing, expired or unknown. */
export class UnauthorizedError extends Error {}

export interface HttpBridgeOptions {
  /** Origin of the warden ("" for the page's own origin). */
  baseUrl?: string;
  /** The session's binding half, from signing in. */
  session: string;
  fetch?: typeof fetch;
  /** Told whenever the event stream connects, drops or is refused. */
  onConnection?: (state: ConnectionState) => void;
  /** First delay before reconnecting the event stream; doubles up to 10 s. */
  retryMs?: number;
}

type Listener = (payload: never) => void;

/** Builds the bridge. The event stream opens with the first listener and closes with the last. */
export function createHttpBridge(options: HttpBridgeOptions): WardenApi {
  const base = options.baseUrl ?? "";
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const auth = { [SESSION_HEADER]: options.session };
  const listeners = new Map<WardenEventName, Set<Listener>>();
  let stream: AbortController | undefined;
  let listenerCount = 0;

  const call = async (method: string, params: unknown): Promise<unknown> => {
    const res = await doFetch(`${base}/api/${method}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(params ?? {}),
    });
    if (res.status === 401) throw new UnauthorizedError("the warden does not know this session");
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      throw new Error(`${method}: ${body.error ?? `HTTP ${res.status}`}`);
    }
    return res.json();
  };

  const dispatch = (event: string, data: string) => {
    if (!(WARDEN_EVENTS as readonly string[]).includes(event)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const listener of listeners.get(event as WardenEventName) ?? []) listener(payload as never);
  };

  const run = async (controller: AbortController) => {
    let delay = options.retryMs ?? 1_000;
    while (!controller.signal.aborted) {
      options.onConnection?.("connecting");
      try {
        const res = await doFetch(`${base}/api/events`, { headers: auth, signal: controller.signal });
        if (res.status === 401) {
          options.onConnection?.("unauthorized");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        options.onConnection?.("open");
        delay = options.retryMs ?? 1_000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) dispatch(message.event, message.data);
        }
      } catch {
        // Dropped or refused: retried below unless we were asked to stop.
      }
      if (controller.signal.aborted) return;
      options.onConnection?.("retrying");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };

  const api = Object.fromEntries(
    WARDEN_METHODS.map((method) => [method, (params: unknown) => call(method, params)]),
  ) as Omit<WardenApi, "on">;

  return {
    ...api,
    on<E extends WardenEventName>(event: E, listener: (payload: WardenEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      const entry = listener as Listener;
      set.add(entry);
      listenerCount += 1;
      if (!stream) {
        stream = new AbortController();
        void run(stream);
      }
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        set.delete(entry);
        listenerCount -= 1;
        if (listenerCount === 0) {
          stream?.abort();
          stream = undefined;
        }
      };
    },
  } as WardenApi;
}
