/**
 * A lane: one connection to an upstream server (a stdio process, an HTTP session) that belongs to one
 * client (grant) with one set of declared capabilities, or to the warden itself. The lane relays
 * messages as text: it gives each request an id of its own, maps answers and progress back to the
 * request that caused them, and sends a server's own requests and notifications only to the client of
 * this lane whose request they belong to. Nothing reaches another client's lane.
 */

import { ENVELOPE_KEY, routingHeaders, wardenMeta } from "./envelope.js";
import { AnswerBrokenError, HttpPeer, type Peer, SessionExpiredError } from "./peers.js";
import {
  errorResponse,
  kindOf,
  methodOf,
  paramsOf,
  type RawId,
  type RawMessage,
  rawIdOf,
  replaceAt,
  spanAt,
  withId,
  withoutMembers,
} from "./raw-json.js";

/** A client session attached to a lane. */
export interface LaneClient {
  readonly sessionId: string;
  readonly grant: string;
  /** What the client declared it can do (initialize's capabilities). */
  readonly capabilities: Record<string, unknown>;
  /** Sends a notification to the client, tied to its request `related` when known. */
  toClient(text: string, related?: RawId): void;
  /** Relays a server's request to the client; resolves with the client's answer. */
  askClient(message: RawMessage, related: RawId | undefined, signal: AbortSignal): Promise<RawMessage>;
}

/** The request failed before anything reached the server: it may be retried, its limit slots go back. */
export class NotSentError extends Error {}

/** The server answered the handshake with an error (`initialize` refused): what it said is kept. */
export class RefusedError extends NotSentError {
  constructor(
    message: string,
    readonly error: { code?: unknown; data?: unknown },
  ) {
    super(message);
  }
}

/** The server ended the connection (or stopped answering) while the request was out. */
export class UpstreamFailedError extends Error {}

interface Pending {
  client: LaneClient | undefined;
  clientId: RawId | undefined;
  progressToken: string | undefined;
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  resolve(message: RawMessage): void;
  reject(error: Error): void;
}

/** Server requests and what a client must have declared to be asked them. */
const NEEDS: Record<string, (caps: Record<string, unknown>, params: Record<string, unknown>) => boolean> = {
  "sampling/createMessage": (caps) => Boolean(caps.sampling),
  "elicitation/create": (caps, params) => {
    const elicitation = caps.elicitation as Record<string, unknown> | undefined;
    if (!elicitation) return false;
    if (params.mode === "url") return Boolean(elicitation.url);
    // A client that declared `elicitation: {}` supports form mode (2025-11-25).
    return Object.keys(elicitation).length === 0 || Boolean(elicitation.form);
  },
  "roots/list": (caps) => Boolean(caps.roots),
};

/** Whether a client that declared `caps` may be asked a server's request (its method and params). */
export function clientCan(
  method: string,
  caps: Record<string, unknown>,
  params: Record<string, unknown>,
): boolean {
  const needs = NEEDS[method];
  return !needs || needs(caps, params);
}

/** A message that carries the headers its HTTP hop needs besides its text (2026-07-28). */
export interface ModernRequest extends RawMessage {
  /** Headers to send with it: Mcp-Method, Mcp-Name, the client's Mcp-Param-*. */
  headers?: Record<string, string>;
}

/** Options for one request through a lane. */
export interface LaneRequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One connection to an upstream, after its handshake. */
export class Lane {
  readonly key: string;
  readonly clients = new Set<LaneClient>();
  /** Shared lanes serve several clients (a server the user marked safe to share). */
  readonly shared: boolean;
  /** The server's answer to this lane's initialize. */
  initResult: RawMessage | undefined;
  onclose?: (reason: string) => void;
  /** Every notification from the server, before it is routed (the warden's own lane watches list changes). */
  onnotification?: (message: RawMessage) => void;
  readonly #peer: Peer;
  readonly #pending = new Map<number, Pending>();
  readonly #asked = new Map<string, AbortController>();
  #nextId = 1;
  #closed = false;
  #closeReason = "";
  #idleTimer: NodeJS.Timeout | undefined;

  /**
   * The revision the lane speaks: "legacy" (after an initialize) or "2026-07-28" (no handshake; each
   * request carries its client's envelope, as the client sent it).
   */
  readonly era: "legacy" | "2026-07-28";
  /**
   * A 2026-07-28 lane for legacy clients of a server that has no legacy handshake: their session is the
   * warden's, and each request is sent as the 2026-07-28 request it stands for (see translate.ts).
   */
  readonly bridged: boolean;

  constructor(
    key: string,
    peer: Peer,
    shared: boolean,
    era: "legacy" | "2026-07-28" = "legacy",
    bridged = false,
  ) {
    this.key = key;
    this.era = era;
    this.bridged = bridged;
    this.#peer = peer;
    this.shared = shared;
    peer.onmessage = (message, related) => this.#onMessage(message, related);
    peer.ontoolarge = (problem, ids) => this.#onTooLarge(problem, ids);
    peer.onclose = (reason) => this.#onClose(reason);
    if (peer instanceof HttpPeer) peer.waiting = (id) => this.#pending.has(id);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get peer(): Peer {
    return this.#peer;
  }

  /** Runs the legacy handshake with the client's initialize params (as text), then `initialized`. */
  async initialize(paramsText: string, timeoutMs: number): Promise<RawMessage> {
    const answer = await this.#send(undefined, undefined, "initialize", paramsText, { timeoutMs });
    const result = answer.value.result as { protocolVersion?: unknown } | undefined;
    if (!result) {
      const error = (answer.value.error ?? {}) as { message?: unknown; code?: unknown; data?: unknown };
      throw new RefusedError(`the server refused initialize: ${String(error.message ?? "no result")}`, error);
    }
    this.initResult = answer;
    if (this.#peer.kind === "http" && typeof result.protocolVersion === "string") {
      const http = this.#peer as Peer & { protocolVersion?: string; openStream?: () => void };
      http.protocolVersion = result.protocolVersion;
    }
    await this.#peer.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    (this.#peer as Peer & { openStream?: () => void }).openStream?.();
    return answer;
  }

  /** Relays a client's request; resolves with the server's answer (its id is the lane's, not the client's). */
  request(
    client: LaneClient | undefined,
    message: RawMessage,
    options: LaneRequestOptions,
  ): Promise<RawMessage> {
    const clientId = rawIdOf(message);
    const method = methodOf(message) ?? "";
    return this.#send(client, clientId, method, undefined, options, message);
  }

  /** A request of the warden's own (tools/list for the catalogue). */
  ask(
    method: string,
    params: unknown,
    timeoutMs: number,
    headers?: Record<string, string>,
  ): Promise<RawMessage> {
    if (this.era === "legacy")
      return this.#send(
        undefined,
        undefined,
        method,
        JSON.stringify(params ?? {}),
        { timeoutMs },
        undefined,
        headers,
      );
    // A 2026-07-28 server learns who asks from each request: the warden's own envelope and routing headers.
    const own = (params ?? {}) as Record<string, unknown>;
    const meta = own._meta && typeof own._meta === "object" ? own._meta : {};
    return this.#send(
      undefined,
      undefined,
      method,
      JSON.stringify({ ...own, _meta: { ...meta, ...wardenMeta() } }),
      { timeoutMs },
      undefined,
      { ...routingHeaders(method, own), ...headers },
    );
  }

  #send(
    client: LaneClient | undefined,
    clientId: RawId | undefined,
    method: string,
    paramsText: string | undefined,
    options: LaneRequestOptions,
    original?: RawMessage,
    headers?: Record<string, string>,
  ): Promise<RawMessage> {
    if (this.#closed)
      return Promise.reject(new NotSentError(`the connection to the server closed: ${this.#closeReason}`));
    const id = this.#nextId++;
    let text: string;
    let progressToken: string | undefined;
    if (original) {
      text = withId(original, String(id));
      // A 2026-07-28 client's envelope means nothing to a legacy connection (and makes dual-era servers
      // read the request as 2026-07-28): the lane's handshake already said it.
      if (this.era === "legacy")
        text = withoutMembers(text, ["params", "_meta"], (key) => ENVELOPE_KEY.test(key));
      const token = spanAt(original.text, ["params", "_meta", "progressToken"]);
      if (token) {
        progressToken = original.text.slice(token[0], token[1]);
        text = replaceAt(text, ["params", "_meta", "progressToken"], String(id));
      }
    } else {
      text = `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)}${paramsText !== undefined ? `,"params":${paramsText}` : ""}}`;
    }
    return new Promise<RawMessage>((resolve, reject) => {
      const pending: Pending = {
        client,
        clientId,
        progressToken,
        timeoutMs: options.timeoutMs,
        timer: undefined,
        resolve,
        reject,
      };
      const settle = () => {
        if (pending.timer) clearTimeout(pending.timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
      };
      pending.resolve = (m) => {
        settle();
        resolve(m);
      };
      pending.reject = (e) => {
        settle();
        reject(e);
      };
      const onAbort = () => {
        if (!this.#pending.has(id)) return;
        this.#cancelUpstream(id, "the client cancelled the request");
        pending.reject(new UpstreamFailedError("the client cancelled the request"));
      };
      if (options.signal?.aborted) {
        reject(new NotSentError("the client cancelled the request"));
        return;
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, pending);
      this.#arm(id, pending);
      this.#peer
        .send(text, id, headers ?? (original as ModernRequest | undefined)?.headers)
        .then(() => {
          // 2026-07-28 answers a request on its own stream only: one that ended without the answer is over.
          if (this.era !== "legacy" && this.#peer instanceof HttpPeer && this.#pending.has(id))
            pending.reject(new UpstreamFailedError("the server ended the answer's stream without answering"));
        })
        .catch((error: unknown) => {
          if (!this.#pending.has(id)) return;
          const message = (error as Error).message;
          // HTTP: a send that failed before the server answered was not taken; stdio: the pipe is gone. An
          // answer that broke off after the server took the request is a failure of that request.
          pending.reject(
            error instanceof AnswerBrokenError ? new UpstreamFailedError(message) : new NotSentError(message),
          );
          // A server that forgot the session (it restarted) forgets it for every request: this lane is done,
          // and the next request opens a new session.
          if (error instanceof SessionExpiredError) this.#onClose(message);
        });
    });
  }

  /** (Re)starts a request's timer: no answer or progress within its timeout fails it and cancels it upstream. */
  #arm(id: number, pending: Pending): void {
    if (pending.timer) clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      this.#cancelUpstream(id, "timed out");
      pending.reject(
        new UpstreamFailedError(
          `timed out: the server did not answer within ${Math.round(pending.timeoutMs / 1000)} s`,
        ),
      );
    }, pending.timeoutMs);
  }

  /** Tells the server a lane request is no longer wanted. */
  #cancelUpstream(id: number, reason: string): void {
    // 2026-07-28 has no cancellation message: the request's closed stream is one.
    if (this.era !== "legacy" && this.#peer instanceof HttpPeer) {
      this.#peer.abortRequest(id);
      return;
    }
    void this.#peer
      .send(
        `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id},"reason":${JSON.stringify(reason)}}}`,
      )
      .catch(() => {});
  }

  /** Sends a client's notification on (cancellations are mapped by the client session). */
  notify(text: string): void {
    // A 2026-07-28 server takes no notifications from a client (a cancellation ends the request's stream).
    if (this.#closed || this.bridged) return;
    void this.#peer.send(text).catch(() => {});
  }

  #onMessage(message: RawMessage, related: number | undefined): void {
    const kind = kindOf(message.value);
    if (kind === "response") {
      const id = message.value.id;
      const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
      pending?.resolve(message);
      return;
    }
    if (kind === "request") return void this.#onServerRequest(message, related);
    if (kind === "notification") this.#onNotification(message, related);
  }

  #onTooLarge(problem: string, ids: number[]): void {
    const out = ids.map((id) => this.#pending.get(id)).filter((p): p is Pending => p !== undefined);
    // A message too large to read whole fails the request it answers, and only that one.
    const targets = out.length > 0 ? out : this.#pending.size === 1 ? [...this.#pending.values()] : [];
    for (const p of targets) p.reject(new UpstreamFailedError(problem));
  }

  /** The client a message of the server's belongs to: the request it came with, or the only one busy. */
  #owner(related: number | undefined): { client: LaneClient; clientId: RawId | undefined } | undefined {
    const pending = related !== undefined ? this.#pending.get(related) : undefined;
    if (pending?.client) return { client: pending.client, clientId: pending.clientId };
    const busy = new Set<LaneClient>();
    let last: Pending | undefined;
    for (const p of this.#pending.values()) {
      if (!p.client) continue;
      busy.add(p.client);
      last = p;
    }
    if (busy.size === 1 && last?.client) {
      // Only one request out: the message is about it. Several: say nothing more specific than the client.
      const one = [...this.#pending.values()].filter((p) => p.client).length === 1;
      return { client: last.client, clientId: one ? last.clientId : undefined };
    }
    if (busy.size === 0 && this.clients.size === 1 && !this.shared) {
      const [client] = this.clients;
      return client ? { client, clientId: undefined } : undefined;
    }
    return undefined;
  }

  async #onServerRequest(message: RawMessage, related: number | undefined): Promise<void> {
    const id = rawIdOf(message);
    if (!id) return;
    const method = methodOf(message) ?? "";
    const reply = (text: string) => void this.#peer.send(text).catch(() => {});
    if (method === "ping") return reply(`{"jsonrpc":"2.0","id":${id.text},"result":{}}`);
    const owner = this.#owner(related);
    if (!owner) {
      return reply(
        errorResponse(
          id.text,
          -32603,
          this.clients.size === 0
            ? `MCP Warden: no client is connected to answer ${method}`
            : `MCP Warden: ${method} cannot be tied to one client's request, so it is not relayed`,
        ),
      );
    }
    if (!clientCan(method, owner.client.capabilities, paramsOf(message))) {
      return reply(errorResponse(id.text, -32601, `Client does not support ${method}`));
    }
    const abort = new AbortController();
    this.#asked.set(id.text, abort);
    try {
      const answer = await owner.client.askClient(message, owner.clientId, abort.signal);
      reply(withId(answer, id.text));
    } catch (error) {
      reply(errorResponse(id.text, -32603, (error as Error).message));
    } finally {
      this.#asked.delete(id.text);
    }
  }

  #onNotification(message: RawMessage, related: number | undefined): void {
    this.onnotification?.(message);
    const method = methodOf(message);
    const params = paramsOf(message);
    if (method === "notifications/progress") {
      const token = params.progressToken;
      const pending = typeof token === "number" ? this.#pending.get(token) : undefined;
      if (!pending?.client || pending.progressToken === undefined) return;
      this.#arm(token as number, pending);
      pending.client.toClient(
        replaceAt(message.text, ["params", "progressToken"], pending.progressToken),
        pending.clientId,
      );
      return;
    }
    if (method === "notifications/cancelled") {
      const requestId = params.requestId;
      this.#asked.get(typeof requestId === "string" ? JSON.stringify(requestId) : String(requestId))?.abort();
      // A 2026-07-28 server ends a subscriptions/listen of the lane's this way.
      const own = typeof requestId === "number" ? this.#pending.get(requestId) : undefined;
      if (own && this.era !== "legacy") own.reject(new UpstreamFailedError("the server ended the request"));
      return;
    }
    if (method === "notifications/message") {
      // Log lines belong to the request they were written for; with no such request, to this lane's client.
      const owner = this.#owner(related);
      if (owner) owner.client.toClient(message.text, owner.clientId);
      else if (!this.shared) for (const c of this.clients) c.toClient(message.text);
      return;
    }
    for (const client of this.clients) client.toClient(message.text);
  }

  #onClose(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    for (const p of [...this.#pending.values()]) p.reject(new UpstreamFailedError(reason));
    for (const abort of this.#asked.values()) abort.abort();
    this.onclose?.(reason);
  }

  /** Attaches a client session. */
  attach(client: LaneClient): void {
    this.clients.add(client);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Detaches a client session; the lane closes after `idleMs` with no client. */
  detach(client: LaneClient, idleMs: number): void {
    this.clients.delete(client);
    for (const p of [...this.#pending.values()]) {
      if (p.client === client) p.reject(new UpstreamFailedError("the client session ended"));
    }
    if (this.clients.size > 0 || this.#closed) return;
    this.#idleTimer = setTimeout(() => void this.close("no client for a while"), idleMs);
    this.#idleTimer.unref();
  }

  /** Closes the connection (a stdio server's process ends). */
  async close(reason = "closed by the warden"): Promise<void> {
    if (this.#closed) return;
    await this.#peer.close().catch(() => {});
    this.#onClose(reason);
  }
}
