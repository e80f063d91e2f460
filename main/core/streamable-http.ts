/**
 * The MCP Streamable HTTP server transport, on node:http directly. The SDK's own transport converts every
 * request to a web-standard Request, runs it through hono's Node adapter and answers through a
 * ReadableStream: about half of what a call through the warden cost. This one answers a POST with plain
 * JSON when its response is the first message for it, and opens an event stream only when a related
 * notification or request (progress, logging, sampling, elicitation) has to go first, so nothing a client
 * can receive is lost. One transport per session; sessions, tokens, Host and Origin are checked by the
 * HTTP server in front of it. There is no resumption of broken event streams (no Last-Event-ID), as with
 * the SDK's transport when it has no event store.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";

interface Exchange {
  res: ServerResponse;
  sse: boolean;
  ids: RequestId[];
  responses: Map<RequestId, JSONRPCMessage>;
}

/** How a session's transport is set up. */
export interface NodeTransportOptions {
  sessionIdGenerator: () => string;
  onsessioninitialized?: (id: string) => void;
}

/** One session's Streamable HTTP transport. */
export class NodeStreamableHttpTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (
    message: JSONRPCMessage,
    extra?: { requestInfo?: { headers: Record<string, string | string[] | undefined> } },
  ) => void;
  readonly #options: NodeTransportOptions;
  readonly #byRequest = new Map<RequestId, Exchange>();
  #standalone: ServerResponse | undefined;
  #closed = false;

  constructor(options: NodeTransportOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {}

  #json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      "content-type": "application/json",
      ...(this.sessionId ? { "mcp-session-id": this.sessionId } : {}),
    });
    res.end(JSON.stringify(body));
  }

  #error(res: ServerResponse, status: number, code: number, message: string): void {
    this.#json(res, status, { jsonrpc: "2.0", error: { code, message }, id: null });
  }

  async handleRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const version = req.headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version))
      return this.#error(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version}`);
    if (req.method === "GET") {
      if (!String(req.headers.accept ?? "").includes("text/event-stream"))
        return this.#error(res, 406, -32000, "Not Acceptable: Client must accept text/event-stream");
      if (this.#standalone)
        return this.#error(res, 409, -32000, "Conflict: Only one SSE stream is allowed per session");
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        ...(this.sessionId ? { "mcp-session-id": this.sessionId } : {}),
      });
      res.flushHeaders();
      this.#standalone = res;
      res.on("close", () => {
        if (this.#standalone === res) this.#standalone = undefined;
      });
      return;
    }
    if (req.method === "DELETE") {
      res.writeHead(200).end();
      await this.close();
      return;
    }
    if (req.method !== "POST") return this.#error(res, 405, -32000, "Method not allowed.");
    const accept = String(req.headers.accept ?? "");
    if (!accept.includes("application/json") || !accept.includes("text/event-stream"))
      return this.#error(
        res,
        406,
        -32000,
        "Not Acceptable: Client must accept both application/json and text/event-stream",
      );
    if (!/^application\/json\b/i.test(String(req.headers["content-type"] ?? "")))
      return this.#error(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
    const messages: JSONRPCMessage[] = [];
    for (const value of Array.isArray(body) ? body : [body]) {
      const parsed = JSONRPCMessageSchema.safeParse(value);
      if (!parsed.success)
        return this.#error(res, 400, -32600, "Invalid Request: not a JSON-RPC 2.0 message");
      messages.push(parsed.data);
    }
    if (messages.length === 0) return this.#error(res, 400, -32600, "Invalid Request: an empty batch");
    const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } =>
      "method" in m && "id" in m;
    if (messages.some((m) => isRequest(m) && m.method === "initialize")) {
      if (this.sessionId !== undefined)
        return this.#error(res, 400, -32600, "Invalid Request: Server already initialized");
      this.sessionId = this.#options.sessionIdGenerator();
      this.#options.onsessioninitialized?.(this.sessionId);
    }
    const requestInfo = { headers: req.headers };
    const requests = messages.filter(isRequest);
    const ids = new Set(requests.map((r) => r.id));
    if (ids.size < requests.length || requests.some((r) => this.#byRequest.has(r.id))) {
      return this.#error(res, 400, -32600, "Invalid Request: a request id that is already in use");
    }
    if (requests.length === 0) {
      res.writeHead(202).end();
      for (const m of messages) this.onmessage?.(m, { requestInfo });
      return;
    }
    const exchange: Exchange = { res, sse: false, ids: requests.map((r) => r.id), responses: new Map() };
    for (const r of requests) this.#byRequest.set(r.id, exchange);
    res.on("close", () => {
      for (const id of exchange.ids) if (this.#byRequest.get(id) === exchange) this.#byRequest.delete(id);
    });
    for (const m of messages) this.onmessage?.(m, { requestInfo });
  }

  #openSse(exchange: Exchange): void {
    if (exchange.sse) return;
    exchange.sse = true;
    exchange.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      ...(this.sessionId ? { "mcp-session-id": this.sessionId } : {}),
    });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isResponse = ("result" in message || "error" in message) && "id" in message;
    const requestId = isResponse ? (message as { id: RequestId }).id : options?.relatedRequestId;
    if (requestId === undefined) {
      if (isResponse) throw new Error("Cannot send a response on a standalone SSE stream");
      this.#standalone?.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return;
    }
    const exchange = this.#byRequest.get(requestId);
    if (!exchange) throw new Error(`No connection established for request ID: ${String(requestId)}`);
    if (!isResponse) {
      this.#openSse(exchange);
      exchange.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return;
    }
    exchange.responses.set(requestId, message);
    if (exchange.responses.size < exchange.ids.length) return;
    for (const id of exchange.ids) this.#byRequest.delete(id);
    const responses = exchange.ids.map((id) => exchange.responses.get(id));
    if (exchange.sse) {
      for (const r of responses) exchange.res.write(`event: message\ndata: ${JSON.stringify(r)}\n\n`);
      exchange.res.end();
    } else {
      this.#json(exchange.res, 200, responses.length === 1 ? responses[0] : responses);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const exchange of new Set(this.#byRequest.values())) exchange.res.end();
    this.#byRequest.clear();
    this.#standalone?.end();
    this.onclose?.();
  }
}
