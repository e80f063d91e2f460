/**
 * One client session in front of one upstream: the relay. Each message from the client is parsed once;
 * tools/call and the other governed requests go through the warden's decision, tools/list is filtered,
 * and everything else travels on to the client's own lane as it was sent. What the server sends back
 * reaches this client only, with the client's own ids and progress tokens.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { type GovernedRequest, isGovernedRequest } from "../policy/decide.js";
import type { CallGate } from "./gate.js";
import { type Lane, type LaneClient, NotSentError } from "./lane.js";
import {
  elementSpans,
  errorResponse,
  kindOf,
  methodOf,
  paramsOf,
  type RawId,
  type RawMessage,
  rawIdOf,
  replaceAt,
  resultResponse,
  spanAt,
  splice,
  withId,
} from "./raw-json.js";
import { LANE_IDLE_MS, type LaneRequest, type Upstream } from "./upstream.js";

/** Where a session's messages to the client go (HTTP: the request's response stream, or the session's). */
export interface ClientOutlet {
  send(text: string, related?: RawId): void;
}

/** How often a call waiting for a human sends progress to a client that asked for progress. */
export const DEFAULT_KEEPALIVE_MS = 15_000;

/** Requests that stay possible while Deny-all is on: they reach no tool and change nothing. */
const ALWAYS = new Set(["initialize", "ping", "tools/list"]);

/** JSON-RPC error codes the relay answers with. */
const INVALID_REQUEST = -32600;
const INTERNAL_ERROR = -32603;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A client session of one upstream. */
export class ClientSession implements LaneClient {
  readonly sessionId: string;
  readonly grant: string;
  capabilities: Record<string, unknown> = {};
  readonly #warden: CallGate;
  readonly #upstream: Upstream;
  readonly #outlet: ClientOutlet;
  readonly #keepAliveMs: number;
  readonly #answer: (text: string) => string;
  #laneRequest: LaneRequest | undefined;
  #lane: Lane | undefined;
  #nextAsk = 1;
  readonly #asks = new Map<number, { resolve(m: RawMessage): void; reject(e: Error): void }>();
  readonly #inFlight = new Map<string | number, AbortController>();
  #closed = false;

  constructor(options: {
    warden: CallGate;
    upstream: Upstream;
    grant: string;
    sessionId: string;
    outlet: ClientOutlet;
    keepAliveMs?: number;
    /** Shapes each answer for the client's protocol era (2026-07-28 adds what its results require). */
    answer?: (text: string) => string;
  }) {
    this.#warden = options.warden;
    this.#upstream = options.upstream;
    this.grant = options.grant;
    this.sessionId = options.sessionId;
    this.#outlet = options.outlet;
    this.#keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.#answer = options.answer ?? ((text) => text);
  }

  /** Whether the session has done its handshake. */
  get initialized(): boolean {
    return this.#laneRequest !== undefined;
  }

  // --- LaneClient: what the lane sends this client ---

  toClient(text: string, related?: RawId): void {
    if (!this.#closed) this.#outlet.send(text, related);
  }

  askClient(message: RawMessage, related: RawId | undefined, signal: AbortSignal): Promise<RawMessage> {
    if (this.#closed) return Promise.reject(new Error("the client session has ended"));
    const id = this.#nextAsk++;
    return new Promise<RawMessage>((resolve, reject) => {
      const onAbort = () => {
        if (!this.#asks.delete(id)) return;
        this.#outlet.send(
          `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id},"reason":"the server cancelled the request"}}`,
          related,
        );
        reject(new Error("cancelled by the server"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#asks.set(id, {
        resolve: (m) => {
          signal.removeEventListener("abort", onAbort);
          resolve(m);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      this.#outlet.send(withId(message, String(id)), related);
    });
  }

  // --- what the client sends ---

  /** Handles one message from the client; a request resolves with the answer's text. */
  async receive(message: RawMessage): Promise<string | undefined> {
    const kind = kindOf(message.value);
    if (kind === "response") {
      const id = message.value.id;
      const ask = typeof id === "number" ? this.#asks.get(id) : undefined;
      if (ask && typeof id === "number") {
        this.#asks.delete(id);
        ask.resolve(message);
      }
      return undefined;
    }
    if (kind === "notification") {
      this.#onNotification(message);
      return undefined;
    }
    const id = rawIdOf(message);
    if (!id) return undefined;
    const abort = new AbortController();
    this.#inFlight.set(id.value, abort);
    try {
      const answer = await this.#onRequest(message, id, abort.signal);
      return answer === undefined ? undefined : this.#answer(answer);
    } catch (error) {
      return errorResponse(
        id.text,
        INTERNAL_ERROR,
        `MCP Warden: upstream "${this.#upstream.name}" failed: ${errorText(error)}`,
      );
    } finally {
      this.#inFlight.delete(id.value);
    }
  }

  /** Cancels a request still in flight (upstream too), as a cancellation from the client would. */
  cancel(id: string | number): void {
    this.#inFlight.get(id)?.abort();
  }

  #onNotification(message: RawMessage): void {
    const method = methodOf(message);
    if (method === "notifications/initialized") return;
    if (method === "notifications/cancelled") {
      const requestId = paramsOf(message).requestId;
      if (typeof requestId === "string" || typeof requestId === "number") this.cancel(requestId);
      return;
    }
    this.#lane?.notify(message.text);
  }

  async #onRequest(message: RawMessage, id: RawId, signal: AbortSignal): Promise<string | undefined> {
    const method = methodOf(message) ?? "";
    if (method === "initialize") return this.#initialize(message, id);
    if (!this.#laneRequest) return errorResponse(id.text, INVALID_REQUEST, "initialize first");
    // A refused tool call is a tool result the agent can read (Deny-all included); other requests get errors.
    if (method === "tools/call") return this.#callTool(message, id, signal);
    if (this.#warden.denyAll && !ALWAYS.has(method))
      return errorResponse(id.text, INVALID_REQUEST, "MCP Warden: Deny-all is on; nothing passes");
    if (method === "tools/list") {
      const answer = await this.#relay(message, signal);
      return withId(this.#filterTools(answer), id.text);
    }
    if (isGovernedRequest(method)) return this.#governed(method, message, id, signal);
    return withId(await this.#relay(message, signal), id.text);
  }

  /** A resource read, prompt or completion: decided and audited like a tool call; refused with an error. */
  async #governed(
    method: GovernedRequest,
    message: RawMessage,
    id: RawId,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const outcome = await this.#warden.handleCall({
      server: this.#upstream.name,
      tool: method,
      method,
      args: paramsWithoutMeta(message),
      grant: this.grant,
      session: this.sessionId,
      signal,
      forward: () => this.#relay(message, signal),
    });
    if (outcome.relayed) return withId(outcome.relayed, id.text);
    if (signal.aborted) return undefined;
    const text = outcome.refused.content.map((c) => ("text" in c ? c.text : "")).join(" ");
    return errorResponse(id.text, INVALID_REQUEST, text);
  }

  async #initialize(message: RawMessage, id: RawId): Promise<string> {
    if (this.#laneRequest)
      return errorResponse(id.text, INVALID_REQUEST, "the session is already initialized");
    const params = paramsOf(message);
    const span = spanAt(message.text, ["params"]);
    const capabilities =
      params.capabilities && typeof params.capabilities === "object"
        ? (params.capabilities as Record<string, unknown>)
        : {};
    const request: LaneRequest = {
      grant: this.grant,
      paramsText: span ? message.text.slice(span[0], span[1]) : "{}",
      capabilities,
      // Versions the warden does not know share one lane: the server answers them with its own choice.
      protocolVersion:
        typeof params.protocolVersion === "string" &&
        SUPPORTED_PROTOCOL_VERSIONS.includes(params.protocolVersion)
          ? params.protocolVersion
          : "other",
    };
    const failed = await this.openLane(request);
    if (failed) return errorResponse(id.text, INTERNAL_ERROR, `MCP Warden: ${failed}`);
    const init = this.#lane?.initResult;
    if (!init)
      return errorResponse(id.text, INTERNAL_ERROR, "MCP Warden: the server gave no initialize result");
    return withId(announceListChanges(init), id.text);
  }

  /** Opens (or joins) the client's lane; says why when the server cannot be reached. */
  async openLane(request: LaneRequest): Promise<string | undefined> {
    let lane: Lane;
    try {
      lane = await this.#upstream.laneFor(request);
    } catch (error) {
      return errorText(error);
    }
    this.capabilities = request.capabilities;
    this.#laneRequest = request;
    this.#attach(lane);
    return undefined;
  }

  #attach(lane: Lane): void {
    if (this.#lane === lane) return;
    if (this.#lane) this.#lane.detach(this, LANE_IDLE_MS);
    this.#lane = lane;
    lane.attach(this);
  }

  /** The lane to send on: the one this session has, or a new one when it has closed. */
  async #currentLane(): Promise<Lane> {
    if (this.#closed) throw new NotSentError("the client session has ended");
    const lane = this.#lane;
    if (lane && !lane.closed) return lane;
    if (!this.#laneRequest) throw new NotSentError("initialize first");
    const fresh = await this.#upstream.laneFor(this.#laneRequest);
    this.#attach(fresh);
    return fresh;
  }

  /** Sends a request on the lane, once more on a fresh lane if the first never reached the server. */
  async #relay(message: RawMessage, signal: AbortSignal): Promise<RawMessage> {
    for (let attempt = 0; ; attempt++) {
      const lane = await this.#currentLane();
      try {
        return await lane.request(this, message, { timeoutMs: this.#upstream.timeoutMs, signal });
      } catch (error) {
        if (!(error instanceof NotSentError) || attempt > 0 || signal.aborted) throw error;
      }
    }
  }

  async #callTool(message: RawMessage, id: RawId, signal: AbortSignal): Promise<string | undefined> {
    const params = paramsOf(message);
    const name = typeof params.name === "string" ? params.name : "";
    const args =
      params.arguments && typeof params.arguments === "object" && !Array.isArray(params.arguments)
        ? (params.arguments as Record<string, unknown>)
        : {};
    const argsSpan =
      params.arguments !== undefined ? spanAt(message.text, ["params", "arguments"]) : undefined;
    const token = spanAt(message.text, ["params", "_meta", "progressToken"]);
    const tokenText = token ? message.text.slice(token[0], token[1]) : undefined;
    const outcome = await this.#warden.handleCall({
      server: this.#upstream.name,
      tool: name,
      args,
      ...(argsSpan && args === params.arguments
        ? { argsText: message.text.slice(argsSpan[0], argsSpan[1]) }
        : {}),
      grant: this.grant,
      session: this.sessionId,
      signal,
      forward: () => this.#relay(message, signal),
      ...(tokenText !== undefined ? { whileWaiting: () => this.#keepAlive(tokenText, id) } : {}),
    });
    if (signal.aborted && outcome.refused) return undefined;
    return outcome.relayed ? withId(outcome.relayed, id.text) : resultResponse(id.text, outcome.refused);
  }

  /** Progress while a human decides, so clients that reset their timeout on progress keep waiting. */
  #keepAlive(tokenText: string, id: RawId): () => void {
    let n = 0;
    const timer = setInterval(() => {
      n++;
      this.#outlet.send(
        `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${tokenText},"progress":${n},"message":"Waiting for a human to approve this call in MCP Warden"}}`,
        id,
      );
    }, this.#keepAliveMs);
    return () => clearInterval(timer);
  }

  /** The server's tool list without the tools the policy hides (the rest byte for byte). */
  #filterTools(answer: RawMessage): RawMessage {
    const result = answer.value.result as { tools?: unknown } | undefined;
    if (!result || !Array.isArray(result.tools)) return answer;
    const span = spanAt(answer.text, ["result", "tools"]);
    if (!span) return answer;
    const known =
      this.#upstream.state === "connected" ? new Set(this.#upstream.tools.map((t) => t.name)) : undefined;
    const spans = elementSpans(answer.text, span[0]);
    const kept: string[] = [];
    result.tools.forEach((tool, n) => {
      const name = (tool as { name?: unknown } | null)?.name;
      const s = spans[n];
      if (typeof name !== "string" || !s) return;
      if (known && !known.has(name)) return;
      if (this.#warden.isToolVisible(this.#upstream.name, name)) kept.push(answer.text.slice(s[0], s[1]));
    });
    if (kept.length === result.tools.length) return answer;
    return { text: splice(answer.text, span, `[${kept.join(",")}]`), value: answer.value };
  }

  /** Tells the client its tool list changed (the policy or a pin changed what it may see). */
  toolsChanged(): void {
    this.toClient('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}');
  }

  /** Ends the session: its waiting calls and the server's questions to it are cancelled. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const abort of this.#inFlight.values()) abort.abort();
    for (const ask of this.#asks.values()) ask.reject(new Error("the client session has ended"));
    this.#asks.clear();
    this.#lane?.detach(this, LANE_IDLE_MS);
  }
}

/** A request's params as the policy sees them: without `_meta`. */
function paramsWithoutMeta(message: RawMessage): Record<string, unknown> {
  const { _meta: _, ...params } = paramsOf(message);
  return params;
}

/**
 * The initialize answer, saying `tools.listChanged: true`: the warden announces when the policy or a pin
 * changes which tools the client may see.
 */
function announceListChanges(init: RawMessage): RawMessage {
  const result = init.value.result as { capabilities?: { tools?: Record<string, unknown> } } | undefined;
  const tools = result?.capabilities?.tools;
  if (!tools || tools.listChanged === true) return init;
  const text = replaceAt(
    init.text,
    ["result", "capabilities", "tools"],
    JSON.stringify({ ...tools, listChanged: true }),
  );
  return { text, value: init.value };
}
