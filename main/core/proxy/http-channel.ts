/**
 * The downstream Streamable HTTP transport of one client session, on node:http. A POST is answered with
 * plain JSON when its answer is the first thing the client gets for it, and with an event stream when
 * something tied to the request (progress, a log line, a sampling question) has to go first. Messages tied
 * to no request go on the session's GET stream. Every text is written as the relay produced it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_BATCH_ANSWER_BYTES, type UnreadBytes, wasCutOff } from "./backpressure.js";
import type { ClientOutlet, ClientSession } from "./client-session.js";
import { errorResponse, kindOf, type RawId, type RawMessage, rawIdOf } from "./raw-json.js";

interface Exchange {
  res: ServerResponse;
  sse: boolean;
  batch: boolean;
  ids: (string | number)[];
  /** Each request id's JSON text, to answer it with an error of the warden's own. */
  idTexts: Map<string | number, string>;
  answers: Map<string | number, string | undefined>;
  /** The relay the requests went to (to cancel them there). */
  session: ClientSession;
  /** Bytes of the answers taken so far (a batch's answers share one budget). */
  bytes: number;
  done: boolean;
}

/** How a channel is set up. */
export interface ChannelOptions {
  /** The session's id; none for 2026-07-28, which has no sessions. */
  sessionId?: string;
  /** Gives a single answer's HTTP status (2026-07-28 sends some errors with 400 or 404). */
  statusOf?: (text: string) => number;
  /** The client (grant) whose unread bytes the channel's streams count against. */
  client: string;
  unread: UnreadBytes;
  /** Total bytes of one batch's answers (default MAX_BATCH_ANSWER_BYTES). */
  batchBudget?: number;
}

/** The answer a batch entry past the budget gets instead of its own. */
function overBudget(idText: string, budget: number): string {
  return errorResponse(
    idText,
    -32000,
    `MCP Warden: this batch's answers passed ${budget} bytes, the most one batch may get; send this request again on its own or in a smaller batch`,
  );
}

/** One session's HTTP transport. */
export class HttpChannel implements ClientOutlet {
  /** The session's id; none for 2026-07-28, which has no sessions. */
  readonly sessionId: string | undefined;
  readonly #byRequest = new Map<string | number, Exchange>();
  #standalone: ServerResponse | undefined;
  #closed = false;

  readonly #statusOf: (text: string) => number;
  readonly #client: string;
  readonly #unread: UnreadBytes;
  readonly #batchBudget: number;

  constructor(options: ChannelOptions) {
    this.sessionId = options.sessionId;
    this.#statusOf = options.statusOf ?? (() => 200);
    this.#client = options.client;
    this.#unread = options.unread;
    this.#batchBudget = options.batchBudget ?? MAX_BATCH_ANSWER_BYTES;
  }

  /** Writes to one of the channel's streams, within what its client may leave unread. */
  #write(res: ServerResponse, chunk: string, end = false): boolean {
    return this.#unread.write(this.#client, res, chunk, end);
  }

  #session(): Record<string, string> {
    return this.sessionId ? { "mcp-session-id": this.sessionId } : {};
  }

  #headers(contentType: string): Record<string, string> {
    return { "content-type": contentType, "cache-control": "no-cache, no-transform", ...this.#session() };
  }

  /** Opens the session's own event stream (messages tied to no request). */
  handleGet(req: IncomingMessage, res: ServerResponse): void {
    if (!String(req.headers.accept ?? "").includes("text/event-stream")) {
      httpError(res, 406, -32000, "Not Acceptable: Client must accept text/event-stream");
      return;
    }
    if (this.#standalone) {
      httpError(res, 409, -32000, "Conflict: Only one SSE stream is allowed per session");
      return;
    }
    res.writeHead(200, { ...this.#headers("text/event-stream"), connection: "keep-alive" });
    res.flushHeaders();
    this.#unread.track(this.#client, res);
    this.#standalone = res;
    res.on("close", () => {
      if (this.#standalone === res) this.#standalone = undefined;
    });
  }

  /** Takes a POST's messages: notifications and responses at once, requests answered as they finish. */
  handlePost(res: ServerResponse, messages: RawMessage[], batch: boolean, session: ClientSession): void {
    const requests = messages.filter((m) => kindOf(m.value) === "request");
    const ids = requests
      .map((m) => rawIdOf(m)?.value)
      .filter((id): id is string | number => id !== undefined);
    if (new Set(ids).size < ids.length || ids.some((id) => this.#byRequest.has(id))) {
      httpError(res, 400, -32600, "Invalid Request: a request id that is already in use");
      return;
    }
    if (ids.length === 0) {
      res.writeHead(202, this.#session()).end();
      for (const m of messages) void session.receive(m);
      return;
    }
    const idTexts = new Map<string | number, string>();
    for (const m of requests) {
      const id = rawIdOf(m);
      if (id) idTexts.set(id.value, id.text);
    }
    const exchange: Exchange = {
      res,
      sse: false,
      batch,
      ids,
      idTexts,
      session,
      answers: new Map(),
      bytes: 0,
      done: false,
    };
    for (const id of ids) this.#byRequest.set(id, exchange);
    this.#unread.track(this.#client, res);
    res.on("close", () => {
      for (const id of exchange.ids) if (this.#byRequest.get(id) === exchange) this.#byRequest.delete(id);
      // Cut off for leaving its answers unread: what it still waits for is cancelled upstream.
      if (wasCutOff(res) && !exchange.done) {
        exchange.done = true;
        for (const id of exchange.ids) if (!exchange.answers.has(id)) session.cancel(id);
        exchange.answers.clear();
      }
    });
    for (const m of messages) {
      const id = rawIdOf(m)?.value;
      const answer = session.receive(m);
      if (kindOf(m.value) !== "request" || id === undefined) continue;
      void answer.then((text) => this.#answer(exchange, id, text));
    }
  }

  #openSse(exchange: Exchange): void {
    if (exchange.sse) return;
    exchange.sse = true;
    exchange.res.writeHead(200, { ...this.#headers("text/event-stream"), connection: "keep-alive" });
  }

  #answer(exchange: Exchange, id: string | number, text: string | undefined): void {
    if (exchange.done) return;
    exchange.bytes += text?.length ?? 0;
    if (exchange.batch && exchange.bytes > this.#batchBudget) {
      this.#spendBudget(exchange, id);
      return;
    }
    exchange.answers.set(id, text);
    // An answer kept for the rest of its batch counts against what the client may hold.
    if (exchange.answers.size < exchange.ids.length && text)
      if (!this.#unread.hold(this.#client, exchange.res, text.length)) return;
    if (exchange.answers.size < exchange.ids.length) return;
    this.#finish(exchange);
  }

  /**
   * A batch whose answers passed its budget: this entry and every one still unanswered get an error saying
   * so (those are cancelled upstream), and the batch is answered with what fitted.
   */
  #spendBudget(exchange: Exchange, id: string | number): void {
    for (const i of exchange.ids) {
      if (exchange.answers.has(i)) continue;
      if (i !== id) exchange.session.cancel(i);
      exchange.answers.set(i, overBudget(exchange.idTexts.get(i) ?? "null", this.#batchBudget));
    }
    this.#finish(exchange);
  }

  #finish(exchange: Exchange): void {
    exchange.done = true;
    for (const i of exchange.ids) if (this.#byRequest.get(i) === exchange) this.#byRequest.delete(i);
    const texts = exchange.ids
      .map((i) => exchange.answers.get(i))
      .filter((t): t is string => t !== undefined);
    const { res } = exchange;
    if (res.writableEnded || res.destroyed) return;
    if (exchange.sse) {
      for (const t of texts) if (!this.#write(res, `event: message\ndata: ${t}\n\n`)) return;
      res.end();
      return;
    }
    if (texts.length === 0) {
      res.writeHead(202, this.#session()).end();
      return;
    }
    const body = exchange.batch ? `[${texts.join(",")}]` : (texts[0] ?? "");
    res.writeHead(exchange.batch ? 200 : this.#statusOf(body), this.#headers("application/json"));
    this.#write(res, body, true);
  }

  /** Sends a message to the client: on its request's stream when it is tied to one, else the session's. */
  send(text: string, related?: RawId): void {
    if (this.#closed) return;
    const exchange = related !== undefined ? this.#byRequest.get(related.value) : undefined;
    if (exchange && !exchange.done && !exchange.res.destroyed) {
      this.#openSse(exchange);
      this.#write(exchange.res, `event: message\ndata: ${text}\n\n`);
      return;
    }
    if (this.#standalone) this.#write(this.#standalone, `event: message\ndata: ${text}\n\n`);
  }

  /** Ends every open stream. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const exchange of new Set(this.#byRequest.values())) exchange.res.end();
    this.#byRequest.clear();
    this.#standalone?.end();
  }
}

/** A JSON-RPC error as an HTTP answer. */
export function httpError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}
