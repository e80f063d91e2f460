// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ConnectionState, createHttpBridge, UnauthorizedError } from "../../renderer/src/bridge/http.js";
import { pickBridge, SESSION_KEY, signIn, takeCodeFromLocation } from "../../renderer/src/bridge/index.js";
import type { WardenApi } from "../../shared/contract.js";

type FetchArgs = [string, RequestInit | undefined];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** An event stream the test writes to, and closes. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } }),
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    close: () => controller.close(),
  };
}

const bridges: WardenApi[] = [];
const offs: (() => void)[] = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
  bridges.length = 0;
});

describe("HTTP bridge methods", () => {
  it("POSTs each method to /api/<method> with the session header and a JSON body", async () => {
    const calls: FetchArgs[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      return json({ ok: true });
    });
    const api = createHttpBridge({
      baseUrl: "http://127.0.0.1:9",
      session: "T0K",
      fetch: fetch as typeof globalThis.fetch,
    });
    expect(await api.approve({ id: "a1" })).toEqual({ ok: true });
    const [url, init] = calls[0] as FetchArgs;
    expect(url).toBe("http://127.0.0.1:9/api/approve");
    expect(init?.method).toBe("POST");
    expect(init?.headers).toMatchObject({
      "x-mcp-warden-session": "T0K",
      "content-type": "application/json",
    });
    expect(JSON.parse(String(init?.body))).toEqual({ id: "a1" });
  });

  it("has one function per contract method", () => {
    const api = createHttpBridge({ session: "t", fetch: vi.fn() as unknown as typeof fetch });
    for (const method of [
      "getState",
      "listCalls",
      "savePolicy",
      "dryRun",
      "setDenyAll",
      "policySchema",
    ] as const)
      expect(typeof api[method]).toBe("function");
  });

  it("throws UnauthorizedError on 401 and the server's error text otherwise", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json({ error: "missing or wrong admin token" }, 401))
      .mockResolvedValueOnce(json({ error: "the body must be a JSON object of parameters" }, 400));
    const api = createHttpBridge({ session: "bad", fetch });
    await expect(api.getState({})).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(api.listCalls({})).rejects.toThrow(
      "listCalls: the body must be a JSON object of parameters",
    );
  });
});

describe("HTTP bridge events", () => {
  it("reads server-sent events with the session header and hands each listener its payload", async () => {
    const stream = eventStream();
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => stream.response);
    const states: ConnectionState[] = [];
    const api = createHttpBridge({
      session: "T",
      fetch: fetch as typeof globalThis.fetch,
      onConnection: (s) => states.push(s),
    });
    const calls: unknown[] = [];
    const denyAll: unknown[] = [];
    offs.push(api.on("call", (c) => calls.push(c)));
    offs.push(api.on("denyAll", (d) => denyAll.push(d)));
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as FetchArgs;
    expect(url).toBe("/api/events");
    expect(init?.headers).toMatchObject({ "x-mcp-warden-session": "T" });

    stream.write(': mcp-warden events\n\nevent: call\ndata: {"id":"c1","tool":"stop_vm"}\n\nevent: den');
    stream.write('yAll\ndata: {"on":true}\n\nevent: unknown\ndata: {}\n\nevent: call\ndata: not json\n\n');
    await vi.waitFor(() => expect(denyAll).toHaveLength(1));
    expect(calls).toEqual([{ id: "c1", tool: "stop_vm" }]);
    expect(denyAll).toEqual([{ on: true }]);
    expect(states).toEqual(["connecting", "open"]);
  });

  it("opens one stream for all listeners and closes it with the last one", async () => {
    let signal: AbortSignal | undefined;
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
      signal = init?.signal ?? undefined;
      return eventStream().response;
    });
    const api = createHttpBridge({ session: "T", fetch: fetch as typeof globalThis.fetch });
    const a = api.on("call", () => {});
    const b = api.on("servers", () => {});
    expect(fetch).toHaveBeenCalledTimes(1);
    a();
    expect(signal?.aborted).toBe(false);
    b();
    expect(signal?.aborted).toBe(true);
  });

  it("reconnects when the stream ends, and stops on 401", async () => {
    const first = eventStream();
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(first.response)
      .mockResolvedValueOnce(json({ error: "missing or wrong admin token" }, 401));
    const states: ConnectionState[] = [];
    const api = createHttpBridge({ session: "T", fetch, retryMs: 5, onConnection: (s) => states.push(s) });
    offs.push(api.on("call", () => {}));
    await vi.waitFor(() => expect(states).toContain("open"));
    first.close();
    await vi.waitFor(() =>
      expect(states).toEqual(["connecting", "open", "retrying", "connecting", "unauthorized"]),
    );
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});

describe("choosing the bridge and signing in", () => {
  it("takes the sign-in code from the fragment and strips it from the address", () => {
    const replaceState = vi.fn();
    const code = takeCodeFromLocation({ hash: "#code=abc%2B1", pathname: "/", search: "" }, { replaceState });
    expect(code).toBe("abc+1");
    expect(replaceState).toHaveBeenCalledWith(null, "", "/");
  });

  it("leaves the address alone when the fragment is a route", () => {
    const replaceState = vi.fn();
    expect(
      takeCodeFromLocation({ hash: "#/approval", pathname: "/", search: "" }, { replaceState }),
    ).toBeUndefined();
    expect(replaceState).not.toHaveBeenCalled();
  });

  it("exchanges the code for a session and keeps its binding; a refused code falls back to the kept one", async () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    };
    const calls: FetchArgs[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      return calls.length === 1 ? json({ binding: "B1" }) : json({ error: "used" }, 401);
    });
    const at = (hash: string) => ({
      location: { hash, pathname: "/", search: "" } as Location,
      history: { replaceState: vi.fn() } as unknown as History,
    });
    expect(await signIn(at("#code=C1"), storage, fetch as typeof globalThis.fetch)).toBe("B1");
    expect(calls[0]?.[0]).toBe("/auth/session");
    expect(JSON.parse(String(calls[0]?.[1]?.body))).toEqual({ code: "C1" });
    expect(store.get(SESSION_KEY)).toBe("B1");
    expect(await signIn(at("#code=C1"), storage, fetch as typeof globalThis.fetch)).toBe("B1");
    expect(await signIn(at(""), storage, fetch as typeof globalThis.fetch)).toBe("B1");
    expect(calls).toHaveLength(2);
    store.clear();
    expect(await signIn(at(""), storage, fetch as typeof globalThis.fetch)).toBeUndefined();
  });

  it("uses the Electron preload's window.warden when present", async () => {
    const preload = { getState: vi.fn() };
    const bridge = await pickBridge({
      warden: preload,
      location: window.location,
      history: window.history,
    } as unknown as Window);
    expect(bridge.kind).toBe("electron");
    expect(bridge.api).toBe(preload);
    expect(bridge.connection.getSnapshot()).toEqual({ state: "open", generation: 1 });
  });

  it("otherwise uses HTTP, signed out when there is neither a code nor a kept session", async () => {
    window.sessionStorage.clear();
    window.history.replaceState(null, "", "/");
    const bridge = await pickBridge(window);
    expect(bridge.kind).toBe("http");
    expect(bridge.hasToken).toBe(false);
  });
});
