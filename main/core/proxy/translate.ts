/**
 * A legacy client of a server that speaks only MCP 2026-07-28. The client had its handshake with the
 * warden (the server has none to give); each of its requests goes on as the 2026-07-28 request it
 * stands for: its text as sent, with the envelope its `initialize` implies in `_meta` (protocol version,
 * capabilities, who it is, the log level it set) and the routing headers (`Mcp-Method`, `Mcp-Name`, the
 * tool's `Mcp-Param-*`). A server that needs the client's input mid-request answers `input_required`;
 * the warden puts each of the server's questions to the client as the legacy request it was (sampling,
 * elicitation, roots, on the client's own session), and retries the request with the answers and the
 * server's `requestState` until the server completes it. What the revision removed is answered here:
 * `ping` and `logging/setLevel` by the warden, resource subscriptions refused with what to do instead.
 */
import {
  ENVELOPE_KEY,
  legacyClientMeta,
  MISSING_CAPABILITY,
  paramHeaders,
  routingHeaders,
} from "./envelope.js";
import {
  errorResponse,
  memberSpans,
  methodOf,
  ownMessage,
  paramsOf,
  type RawMessage,
  rawIdOf,
  resultResponse,
  setAt,
  spanAt,
  withoutMembers,
} from "./raw-json.js";

/** Requests a 2026-07-28 server may answer with `input_required` (basic/patterns/mrtr). */
const MULTI_ROUND = new Set(["tools/call", "prompts/get", "resources/read"]);
/** What a server may ask a client inside `input_required` (and nothing else is put to the client). */
const QUESTIONS = new Set(["elicitation/create", "sampling/createMessage", "roots/list"]);
/** Rounds one request may take before the warden stops asking the client. */
export const MAX_ROUNDS = 16;

/** What the legacy client told the warden in its handshake. */
export interface LegacyHandshake {
  capabilities?: unknown;
  clientInfo?: unknown;
  protocolVersion?: unknown;
}

/** The way to the server and back to the client, for one request. */
export interface BridgeHops {
  /** Sends a request on to the server as written; resolves with its answer. */
  send(message: RawMessage & { headers?: Record<string, string> }, round: number): Promise<RawMessage>;
  /** Puts a server's question to the client (on the session of the request it is about). */
  ask(question: RawMessage, signal: AbortSignal): Promise<RawMessage>;
  /** Whether the client declared what the question needs. */
  can(question: RawMessage): boolean;
}

/**
 * The legacy `initialize` result a client of a 2026-07-28-only server gets: its own version when the
 * warden speaks it, the server's capabilities, who the server is and its instructions.
 */
export function legacyInitResult(
  discovered: { capabilities?: unknown; instructions?: unknown; serverInfo?: unknown },
  requested: string,
): Record<string, unknown> {
  // Resource subscriptions are not bridged (they would need a listen stream per client): not offered.
  const capabilities = { ...((discovered.capabilities ?? {}) as Record<string, unknown>) };
  const resources = capabilities.resources as Record<string, unknown> | undefined;
  if (resources && typeof resources === "object" && "subscribe" in resources) {
    const { subscribe: _subscribe, ...rest } = resources;
    capabilities.resources = rest;
  }
  return {
    protocolVersion: requested,
    capabilities,
    serverInfo: discovered.serverInfo ?? { name: "unknown", version: "0" },
    ...(typeof discovered.instructions === "string" ? { instructions: discovered.instructions } : {}),
  };
}

/** One legacy client's requests, spoken to a 2026-07-28 server. */
export class LegacyBridge {
  readonly #handshake: LegacyHandshake;
  readonly #inputSchema: (tool: string) => unknown;
  #logLevel: string | undefined;

  constructor(handshake: LegacyHandshake, inputSchema: (tool: string) => unknown) {
    this.#handshake = handshake;
    this.#inputSchema = inputSchema;
  }

  /** The client's request, answered: by the server (after every round it needed) or by the warden. */
  async request(hops: BridgeHops, message: RawMessage, signal: AbortSignal | undefined): Promise<RawMessage> {
    const method = methodOf(message) ?? "";
    const idText = rawIdOf(message)?.text ?? "null";
    const params = paramsOf(message);
    const failed = (code: number, why: string) =>
      ownMessage(errorResponse(idText, code, `MCP Warden: ${why}`));
    // What 2026-07-28 removed, the warden answers for the server.
    if (method === "ping") return ownMessage(resultResponse(idText, {}));
    if (method === "logging/setLevel") {
      if (typeof params.level === "string") this.#logLevel = params.level;
      return ownMessage(resultResponse(idText, {}));
    }
    if (method === "resources/subscribe" || method === "resources/unsubscribe")
      return failed(
        -32601,
        "resource subscriptions are not relayed from a legacy client to this server, which speaks only MCP 2026-07-28; read the resource again for its current contents",
      );

    let text = this.#enveloped(message.text);
    const headers = {
      ...routingHeaders(method, params),
      ...(method === "tools/call" && typeof params.name === "string"
        ? paramHeaders(this.#inputSchema(params.name), params.arguments)
        : {}),
    };
    for (let round = 0; ; round++) {
      if (signal?.aborted) return failed(-32603, "the client cancelled the request");
      const answer = await hops.send({ text, value: message.value, headers }, round);
      const result = answer.value.result as
        | { resultType?: unknown; inputRequests?: unknown; requestState?: unknown }
        | undefined;
      if (result?.resultType !== "input_required") return answer;
      if (!MULTI_ROUND.has(method))
        return failed(
          -32603,
          `the server answered ${method} with input_required, which only tools/call, prompts/get and resources/read may have`,
        );
      if (round + 1 >= MAX_ROUNDS)
        return failed(
          -32603,
          `the server asked for more input ${MAX_ROUNDS} times without completing the request`,
        );
      const asked =
        result.inputRequests && typeof result.inputRequests === "object"
          ? Object.keys(result.inputRequests).length
          : 0;
      const { text: responses, answered } = await this.#answers(hops, answer, signal);
      if (asked > 0 && answered === 0)
        return failed(
          MISSING_CAPABILITY,
          "the server asked this client for input it did not declare it can give, or the client could not answer",
        );
      text = setAt(text, ["params", "inputResponses"], responses);
      text =
        typeof result.requestState === "string"
          ? setAt(text, ["params", "requestState"], JSON.stringify(result.requestState))
          : withoutMembers(text, ["params"], (key) => key === "requestState");
    }
  }

  /**
   * The request's text with the client's envelope as its `_meta`: the envelope members its handshake implies
   * first, then the client's own other `_meta` members as it wrote them. Whatever it wrote of the envelope,
   * a `_meta` that is not an object, a repeated `_meta`, and input answers of its own (only the server's
   * questions, put to it by the warden, bring those) are left out.
   */
  #enveloped(text: string): string {
    const meta = legacyClientMeta(this.#handshake, this.#logLevel);
    const members = Object.entries(meta).map(
      ([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`,
    );
    const span = spanAt(text, ["params", "_meta"]);
    if (span && text.charCodeAt(span[0]) === 0x7b)
      for (const [key, [start, end]] of memberSpans(text, span[0]))
        if (!ENVELOPE_KEY.test(key)) members.push(`${JSON.stringify(key)}:${text.slice(start, end)}`);
    const bare = withoutMembers(
      text,
      ["params"],
      (key) => key === "_meta" || key === "inputResponses" || key === "requestState",
    );
    return setAt(bare, ["params", "_meta"], `{${members.join(",")}}`);
  }

  /**
   * The client's answers to the server's questions, as the `inputResponses` object's text (and how many):
   * each answer's `result` as the client wrote it. A question the client cannot take (it did not declare the
   * capability, or it is not one a server may ask) or answered with an error is left out.
   */
  async #answers(
    hops: BridgeHops,
    answer: RawMessage,
    signal: AbortSignal | undefined,
  ): Promise<{ text: string; answered: number }> {
    const span = spanAt(answer.text, ["result", "inputRequests"]);
    const requests = (answer.value.result as { inputRequests?: unknown }).inputRequests;
    if (!span || !requests || typeof requests !== "object") return { text: "{}", answered: 0 };
    const abort = signal ?? new AbortController().signal;
    const entries = await Promise.all(
      Object.keys(requests as Record<string, unknown>).map(async (key) => {
        const inner = spanAt(answer.text, [key], span[0]);
        if (!inner) return undefined;
        const body = answer.text.slice(inner[0], inner[1]);
        // The answer was parsed once already: its value says what is asked, its text gives the params as sent.
        const { method, params } = ((requests as Record<string, unknown>)[key] ?? {}) as {
          method?: unknown;
          params?: unknown;
        };
        if (typeof method !== "string" || !QUESTIONS.has(method)) return undefined;
        const paramsText = spanAt(body, ["params"]);
        const text = `{"jsonrpc":"2.0","id":0,"method":${JSON.stringify(method)}${paramsText ? `,"params":${body.slice(paramsText[0], paramsText[1])}` : ""}}`;
        const question: RawMessage = { text, value: { jsonrpc: "2.0", id: 0, method, params } };
        if (!hops.can(question)) return undefined;
        const reply = await hops.ask(question, abort).catch(() => undefined);
        const result = reply ? spanAt(reply.text, ["result"]) : undefined;
        return reply && result
          ? `${JSON.stringify(key)}:${reply.text.slice(result[0], result[1])}`
          : undefined;
      }),
    );
    const answered = entries.filter((e): e is string => e !== undefined);
    return { text: `{${answered.join(",")}}`, answered: answered.length };
  }
}
