/**
 * Connections to an upstream server that carry JSON-RPC text unchanged: a stdio child process
 * (newline-delimited messages, each up to a cap), Streamable HTTP (a POST per message, answered with JSON
 * or an event stream; a GET stream for messages of no request), and the older HTTP+SSE transport.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { MODERN_PROTOCOL_VERSION } from "./envelope.js";
import { challengeOf, type PeerAuth, UpstreamAuthError } from "./peer-auth.js";
import { parseMessages, type RawMessage } from "./raw-json.js";
import { readSse, type SseResume } from "./sse.js";

/** A connection to one upstream server. */
export interface Peer {
  readonly kind: "stdio" | "http" | "sse";
  /**
   * Sends one message. `related` is the lane's id for a request: messages the transport can tie to it
   * (HTTP: those on its response stream) are delivered with it. HTTP sends resolve once the answer to
   * the POST has been read; a failure rejects.
   */
  send(text: string, related?: number, headers?: Record<string, string>): Promise<void>;
  /** A message from the server, with the id of the request it came with when the transport knows it. */
  onmessage?: (message: RawMessage, related?: number) => void;
  /** A message too large to take, with the ids of the requests it may answer. */
  ontoolarge?: (problem: string, ids: number[]) => void;
  /** The connection ended (the process exited, the stream closed). */
  onclose?: (reason: string) => void;
  close(): Promise<void>;
}

/** How often one request's event stream is taken up again before the request fails. */
const MAX_RESUMES = 100;

/** Default cap on one message from an upstream. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** An HTTP answer that is not a success: the status says what happened. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server took the request, then its answer broke off: the request may have run. */
export class AnswerBrokenError extends Error {}

/** The upstream no longer knows the session (HTTP 404 on a request that named one). */
export class SessionExpiredError extends HttpStatusError {}

/** The first `n` bytes of a run of buffers. */
function firstBytes(buffers: Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let size = 0;
  for (const b of buffers) {
    if (size >= n) break;
    out.push(b.subarray(0, n - size));
    size += Math.min(b.length, n - size);
  }
  return Buffer.concat(out);
}

/** The lane ids a message over the cap may answer: the `"id":N` at its start or end. */
function idsIn(head: string, tail: string): number[] {
  const ids = new Set<number>();
  const start = /^\s*\{(?:\s*"jsonrpc"\s*:\s*"2\.0"\s*,)?\s*"id"\s*:\s*(\d+)/.exec(head);
  if (start?.[1]) ids.add(Number(start[1]));
  const end = /"id"\s*:\s*(\d+)\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$/.exec(tail);
  if (end?.[1]) ids.add(Number(end[1]));
  return [...ids];
}

/** Whether an HTTP body is a JSON-RPC error response to lane request `id`. */
function answersRequest(body: string, id: number): boolean {
  try {
    const value = JSON.parse(body) as { id?: unknown; error?: unknown } | null;
    return value !== null && typeof value === "object" && value.id === id && typeof value.error === "object";
  } catch {
    return false;
  }
}

function deliver(peer: Peer, text: string, related?: number): void {
  let parsed: RawMessage[];
  try {
    parsed = parseMessages(text).messages;
  } catch {
    // A line that is not JSON-RPC (a server printing to stdout) is skipped, as MCP clients do.
    return;
  }
  for (const message of parsed) peer.onmessage?.(message, related);
}

/** How a stdio server is started. */
export interface StdioOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  maxMessageBytes: number;
  onStderr: (text: string) => void;
}

/** A stdio server: a child process, one message per line. */
export class StdioPeer implements Peer {
  readonly kind = "stdio";
  onmessage?: Peer["onmessage"];
  ontoolarge?: Peer["ontoolarge"];
  onclose?: Peer["onclose"];
  readonly #child: ChildProcess;
  #closed = false;

  constructor(options: StdioOptions) {
    this.#child = spawn(options.command, options.args, {
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    this.#child.stderr?.on("data", (chunk: Buffer) => options.onStderr(chunk.toString("utf8")));
    this.#child.stdin?.on("error", () => {});
    this.#child.once("error", (error) => this.#end(`could not start the server: ${error.message}`));
    this.#child.once("exit", (code, signal) =>
      this.#end(`the server process exited (${signal ? `signal ${signal}` : `code ${code}`})`),
    );
    this.#readLines(options.maxMessageBytes);
  }

  /** Resolves once the process is running, or rejects with why it could not start. */
  started(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#child.pid !== undefined) {
        resolve();
        return;
      }
      this.#child.once("spawn", () => resolve());
      this.#child.once("error", reject);
    });
  }

  #readLines(max: number): void {
    const stdout = this.#child.stdout;
    if (!stdout) return;
    let parts: Buffer[] = [];
    let size = 0;
    let over = false;
    let head = "";
    let tail: Buffer = Buffer.alloc(0);
    const take = (bytes: Buffer) => {
      if (bytes.length === 0) return;
      if (over) {
        tail = Buffer.concat([tail, bytes]).subarray(-512);
        return;
      }
      if (size + bytes.length > max) {
        head = firstBytes([...parts, bytes], 512).toString("utf8");
        tail = bytes.subarray(-512);
        over = true;
        parts = [];
        return;
      }
      parts.push(bytes);
      size += bytes.length;
    };
    const endLine = () => {
      if (over) {
        this.ontoolarge?.(
          `the server's message was over the ${max}-byte cap (maxMessageBytes)`,
          idsIn(head, tail.toString("utf8")),
        );
      } else if (size > 0) {
        const text = Buffer.concat(parts).toString("utf8");
        if (text.trim()) deliver(this, text);
      }
      parts = [];
      size = 0;
      over = false;
    };
    stdout.on("data", (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        take(chunk.subarray(start, nl));
        endLine();
        start = nl + 1;
      }
      take(chunk.subarray(start));
    });
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.(reason);
  }

  async send(text: string): Promise<void> {
    if (this.#closed) throw new Error("the server process has exited");
    const stdin = this.#child.stdin;
    if (!stdin) throw new Error("the server process has no stdin");
    if (!stdin.write(`${text}\n`)) await new Promise<void>((resolve) => stdin.once("drain", resolve));
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#closed = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    const kill = setTimeout(() => child.kill("SIGTERM"), 2_000);
    const hard = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(kill);
    clearTimeout(hard);
  }
}

/** How an HTTP server is reached. */
export interface HttpOptions {
  url: URL;
  headers: Record<string, string>;
  maxMessageBytes: number;
  fetch?: typeof fetch;
  /** Signs requests for a server that wants OAuth, and hears of its 401 and 403 answers. */
  auth?: PeerAuth;
}

/**
 * Fetches with the sign-in hook's Authorization header; a 401 or 403 goes to the hook, and the request is
 * sent once more when the hook refreshed the token, else fails with what the server wanted.
 */
async function fetchSigned(
  doFetch: typeof fetch,
  auth: PeerAuth | undefined,
  url: URL,
  init: RequestInit & { headers: Record<string, string> },
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const authorization = await auth?.authorization();
    const response = await doFetch(url, {
      ...init,
      headers: authorization ? { ...init.headers, authorization } : init.headers,
    });
    const challenge = auth ? challengeOf(response) : undefined;
    if (!auth || !challenge) return response;
    // A 403 that is no Bearer challenge is the server's own answer (some refuse a call with 403).
    if (challenge.status === 403 && !challenge.bearer) return response;
    await response.body?.cancel().catch(() => {});
    if (attempt > 0 || !(await auth.refused(challenge))) throw new UpstreamAuthError(challenge);
  }
}

async function bodyText(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > max) throw new Error(`the server's answer was over the ${max}-byte cap`);
  const text = await response.text();
  if (text.length > max) throw new Error(`the server's answer was over the ${max}-byte cap`);
  return text;
}

function statusText(response: Response, body: string): string {
  const detail = body.trim().slice(0, 300);
  return `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${detail ? `: ${detail}` : ""}`;
}

/** A Streamable HTTP server. */
export class HttpPeer implements Peer {
  readonly kind = "http";
  /** Whether the lane still waits for the answer to a request (so a cut event stream is taken up again). */
  waiting?: (id: number) => boolean;
  onmessage?: Peer["onmessage"];
  ontoolarge?: Peer["ontoolarge"];
  onclose?: Peer["onclose"];
  sessionId: string | undefined;
  protocolVersion: string | undefined;
  readonly #options: HttpOptions;
  readonly #fetch: typeof fetch;
  readonly #abort = new AbortController();
  /** The requests whose answer is still coming, by lane id: closing one's stream cancels it (2026-07-28). */
  readonly #answering = new Map<number, AbortController>();
  #closed = false;
  #stream: Promise<void> | undefined;

  constructor(options: HttpOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return {
      ...this.#options.headers,
      ...(this.sessionId ? { "mcp-session-id": this.sessionId } : {}),
      ...(this.protocolVersion ? { "mcp-protocol-version": this.protocolVersion } : {}),
      ...extra,
    };
  }

  /** Closes the stream a request's answer comes on: how MCP 2026-07-28 cancels a request. */
  abortRequest(id: number): void {
    this.#answering.get(id)?.abort();
  }

  async send(text: string, related?: number, headers: Record<string, string> = {}): Promise<void> {
    if (this.#closed) throw new Error("the connection is closed");
    const own = related !== undefined ? new AbortController() : undefined;
    if (own && related !== undefined) this.#answering.set(related, own);
    try {
      await this.#post(text, related, headers, own);
    } finally {
      if (related !== undefined && this.#answering.get(related) === own) this.#answering.delete(related);
    }
  }

  async #post(
    text: string,
    related: number | undefined,
    headers: Record<string, string>,
    own: AbortController | undefined,
  ): Promise<void> {
    const hadSession = this.sessionId !== undefined;
    const response = await fetchSigned(this.#fetch, this.#options.auth, this.#options.url, {
      method: "POST",
      headers: this.#headers({
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      }),
      body: text,
      signal: own ? AbortSignal.any([this.#abort.signal, own.signal]) : AbortSignal.any([this.#abort.signal]),
    });
    const session = response.headers.get("mcp-session-id");
    if (session && !this.sessionId) this.sessionId = session;
    if (response.status === 202 || response.status === 204) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    if (!response.ok) {
      const body = await response.text().catch(() => "");
      // The spec says 404; some servers (the SDK's own examples among them) answer 400 "No valid session ID".
      if (hadSession && (response.status === 404 || (response.status === 400 && /session/i.test(body))))
        throw new SessionExpiredError(
          response.status,
          `the server no longer knows this session (${statusText(response, body)})`,
        );
      // An error answer sent with an error status (2026-07-28 servers do: 400 -32602, 404 -32601) is
      // still the server's answer to the request.
      if (related !== undefined && answersRequest(body, related)) {
        deliver(this, body, related);
        return;
      }
      throw new HttpStatusError(response.status, statusText(response, body));
    }
    try {
      const type = response.headers.get("content-type") ?? "";
      if (type.includes("text/event-stream") && response.body) {
        const resume: SseResume = {};
        const onEvent = (event: { event: string; data: string }) => {
          if (event.event === "message" && event.data) deliver(this, event.data, related);
        };
        await readSse(response.body, this.#options.maxMessageBytes, onEvent, resume);
        // 2026-07-28 has no resumption: a stream that ended is over.
        if (this.protocolVersion !== MODERN_PROTOCOL_VERSION) await this.#resume(related, resume, onEvent);
        return;
      }
      const body = await bodyText(response, this.#options.maxMessageBytes);
      if (body.trim()) deliver(this, body, related);
    } catch (error) {
      throw new AnswerBrokenError((error as Error).message);
    }
  }

  /**
   * A server may end a request's event stream before its answer (SSE polling): where it gave event ids,
   * the stream is taken up again with a GET naming the last one, after the delay the server asked for,
   * until the answer has come (or the lane stopped waiting for it).
   */
  async #resume(
    related: number | undefined,
    resume: SseResume,
    onEvent: (event: { event: string; data: string }) => void,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_RESUMES; attempt++) {
      if (related === undefined || resume.lastEventId === undefined || this.#closed) return;
      if (!this.waiting?.(related)) return;
      await new Promise((r) => setTimeout(r, resume.retryMs ?? 1_000));
      if (!this.waiting?.(related) || this.#closed) return;
      const response = await fetchSigned(this.#fetch, this.#options.auth, this.#options.url, {
        method: "GET",
        headers: this.#headers({ accept: "text/event-stream", "last-event-id": resume.lastEventId }),
        signal: AbortSignal.any([this.#abort.signal]),
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => {});
        throw new HttpStatusError(
          response.status,
          `the server's event stream could not be resumed (HTTP ${response.status})`,
        );
      }
      await readSse(response.body, this.#options.maxMessageBytes, onEvent, resume);
    }
  }

  /** Opens the stream of messages that belong to no request (list changes, logging), where offered. */
  openStream(): void {
    if (this.#stream || this.#closed) return;
    this.#stream = this.#listen().finally(() => {
      this.#stream = undefined;
    });
  }

  async #listen(): Promise<void> {
    try {
      const response = await fetchSigned(this.#fetch, this.#options.auth, this.#options.url, {
        method: "GET",
        headers: this.#headers({ accept: "text/event-stream" }),
        signal: AbortSignal.any([this.#abort.signal]),
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => {});
        if (response.status === 404 && this.sessionId) this.#end("the server no longer knows this session");
        return;
      }
      await readSse(response.body, this.#options.maxMessageBytes, (event) => {
        if (event.event === "message" && event.data) deliver(this, event.data);
      });
    } catch {
      // The stream is a convenience: requests keep working without it.
    }
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.onclose?.(reason);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    if (!this.sessionId) return;
    const authorization = await this.#options.auth?.authorization().catch(() => undefined);
    await this.#fetch(this.#options.url, {
      method: "DELETE",
      headers: this.#headers(authorization ? { authorization } : {}),
      signal: AbortSignal.timeout(2_000),
    })
      .then((r) => r.body?.cancel())
      .catch(() => {});
  }
}

/** A server of the older HTTP+SSE transport: an event stream, and an endpoint it names for POSTs. */
export class SsePeer implements Peer {
  readonly kind = "sse";
  onmessage?: Peer["onmessage"];
  ontoolarge?: Peer["ontoolarge"];
  onclose?: Peer["onclose"];
  readonly #options: HttpOptions;
  readonly #fetch: typeof fetch;
  readonly #abort = new AbortController();
  #endpoint: URL | undefined;
  #closed = false;

  constructor(options: HttpOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Opens the event stream and waits for the endpoint event. */
  async connect(): Promise<void> {
    const response = await fetchSigned(this.#fetch, this.#options.auth, this.#options.url, {
      method: "GET",
      headers: { ...this.#options.headers, accept: "text/event-stream" },
      signal: this.#abort.signal,
    });
    if (!response.ok || !response.body) {
      const body = await response.text().catch(() => "");
      throw new HttpStatusError(response.status, statusText(response, body));
    }
    const body = response.body;
    await new Promise<void>((resolve, reject) => {
      readSse(body, this.#options.maxMessageBytes, (event) => {
        if (event.event === "endpoint") {
          try {
            const endpoint = new URL(event.data, this.#options.url);
            if (endpoint.origin !== this.#options.url.origin)
              throw new Error(`the server named an endpoint on another origin: ${endpoint.origin}`);
            this.#endpoint = endpoint;
            resolve();
          } catch (error) {
            reject(error);
          }
        } else if (event.event === "message" && event.data) deliver(this, event.data);
      })
        .then(() => {
          reject(new Error("the event stream ended before the server named its endpoint"));
          this.#end("the event stream ended");
        })
        .catch((error: unknown) => {
          reject(error);
          this.#end(`the event stream failed: ${(error as Error).message}`);
        });
    });
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.onclose?.(reason);
  }

  async send(text: string): Promise<void> {
    if (this.#closed || !this.#endpoint) throw new Error("the connection is closed");
    const response = await fetchSigned(this.#fetch, this.#options.auth, this.#endpoint, {
      method: "POST",
      headers: { ...this.#options.headers, "content-type": "application/json" },
      body: text,
      signal: AbortSignal.any([this.#abort.signal]),
    });
    const body = await response.text().catch(() => "");
    if (!response.ok) throw new HttpStatusError(response.status, statusText(response, body));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
  }
}
