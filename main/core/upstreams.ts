/**
 * Upstream MCP servers: stdio servers run as child processes (stderr captured, restarted with backoff when
 * they die), URL servers over Streamable HTTP with a fallback to SSE. Each keeps its tool list, refreshed
 * on `notifications/tools/list_changed`. A request to an upstream that is down fails at once; requests in
 * flight when it dies are rejected by the SDK with "Connection closed", never left hanging.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  type Notification,
  type Request,
  type Result,
  type ServerCapabilities,
  type Tool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { ServerStatus } from "../../shared/contract.js";
import { Emitter } from "./emitter.js";
import { connectionFetch } from "./fetch.js";
import { toolRisks } from "./risk.js";
import type { ServerConfig } from "./servers-config.js";

const STDERR_LINES = 50;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** A server that stays up this long is healthy again: its next crash restarts at the first backoff step. */
const HEALTHY_AFTER_MS = 30_000;

export interface UpstreamEvents {
  state: ServerStatus["state"];
  toolsChanged: readonly Tool[];
  /** A notification from the server other than tools/list_changed (resources, prompts, logging). */
  notification: Notification;
}

/** Asks the client behind a call in flight (sampling, elicitation) on the upstream's behalf. */
export type ClientAsker = (
  request: { method: string; params?: Record<string, unknown> },
  schema: typeof CreateMessageResultSchema | typeof ElicitResultSchema,
  signal: AbortSignal,
) => Promise<Result>;

/** Thrown for a request to an upstream that is not connected: nothing was sent. */
export class UpstreamUnavailableError extends Error {}

/** One upstream server and its connection. */
export class Upstream extends Emitter<UpstreamEvents> {
  readonly name: string;
  readonly config: ServerConfig;
  #client: Client | undefined;
  #state: ServerStatus["state"] = "stopped";
  #transportKind: ServerStatus["transport"];
  #tools: Tool[] = [];
  #capabilities: ServerCapabilities = {};
  #instructions: string | undefined;
  #stderr: string[] = [];
  #stderrPartial = "";
  #restarts = 0;
  #failures = 0;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #connectedAt = 0;
  #stopping = false;
  #progressCalls = 0;
  #askClient: ClientAsker | undefined;
  #ready: Promise<void>;
  #markReady: () => void = () => {};

  constructor(name: string, config: ServerConfig) {
    super();
    this.name = name;
    this.config = config;
    this.#transportKind = config.url ? (config.transport === "sse" ? "sse" : "http") : "stdio";
    this.#ready = this.#newReady();
  }

  #newReady(): Promise<void> {
    return new Promise((resolve) => {
      this.#markReady = resolve;
    });
  }

  get state(): ServerStatus["state"] {
    return this.#state;
  }
  get tools(): readonly Tool[] {
    return this.#tools;
  }
  get capabilities(): ServerCapabilities {
    return this.#capabilities;
  }
  get instructions(): string | undefined {
    return this.#instructions;
  }

  /** Who answers the server's sampling and elicitation requests (the client of a call in flight). */
  setClientAsker(asker: ClientAsker): void {
    this.#askClient = asker;
  }

  /** Resolves once the server has connected (or `ms` has passed); true when connected. */
  async whenReady(ms: number): Promise<boolean> {
    if (this.#state === "connected") return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([this.#ready, timeout]);
    clearTimeout(timer);
    return this.state === "connected";
  }

  /** The status the UI shows. */
  status(endpoint: string): ServerStatus {
    return {
      name: this.name,
      transport: this.#transportKind,
      state: this.#state,
      tools: this.#tools.map((t) => {
        const { risk, actions } = toolRisks(t);
        return {
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          risk,
          ...(actions ? { actions: { ...actions } } : {}),
        };
      }),
      stderr: [...this.#stderr, ...(this.#stderrPartial ? [this.#stderrPartial] : [])].slice(-STDERR_LINES),
      restarts: this.#restarts,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      endpoint,
    };
  }

  /** Connects; on failure keeps retrying with backoff. Resolves after the first attempt. */
  async start(): Promise<void> {
    this.#stopping = false;
    await this.#connect();
  }

  #setState(state: ServerStatus["state"]): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state === "connected") this.#markReady();
    else if (state !== "stopped") this.#ready = this.#newReady();
    this.emit("state", state);
  }

  #makeTransport(): Transport {
    const { config } = this;
    if (config.url) {
      const requestInit = config.headers ? { headers: config.headers } : undefined;
      const url = new URL(config.url);
      const options = { fetch: connectionFetch, ...(requestInit ? { requestInit } : {}) };
      if (this.#transportKind === "sse") return new SSEClientTransport(url, options);
      return new StreamableHTTPClientTransport(url, options);
    }
    const transport = new StdioClientTransport({
      command: config.command ?? "",
      args: config.args ?? [],
      env: { ...getDefaultEnvironment(), ...(config.env ?? {}) },
      stderr: "pipe",
      ...(config.cwd ? { cwd: config.cwd } : {}),
    });
    transport.stderr?.on("data", (chunk: Buffer) => this.#captureStderr(chunk.toString("utf8")));
    return transport;
  }

  /** Keeps the server's last stderr lines; a line split across reads is joined first. */
  #captureStderr(text: string): void {
    const lines = (this.#stderrPartial + text).split(/\r?\n/);
    this.#stderrPartial = (lines.pop() ?? "").slice(0, 2_000);
    for (const line of lines) {
      if (!line) continue;
      this.#stderr.push(line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line);
    }
    if (this.#stderr.length > STDERR_LINES) this.#stderr.splice(0, this.#stderr.length - STDERR_LINES);
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopping) return;
    this.#setState(this.#restarts || this.#failures ? "restarting" : "starting");
    // Sampling and elicitation are relayed to the client whose call is in flight (see setClientAsker).
    const client = new Client(
      { name: "mcp-warden", version: "0.1.0" },
      { capabilities: { sampling: {}, elicitation: { form: {} } } },
    );
    const relay = (schema: typeof CreateMessageResultSchema | typeof ElicitResultSchema) =>
      (async (
        request: { method: string; params?: Record<string, unknown> },
        extra: { signal: AbortSignal },
      ) => {
        if (!this.#askClient) throw new Error("no client to ask");
        return this.#askClient(request, schema, extra.signal);
      }) as never;
    client.setRequestHandler(CreateMessageRequestSchema, relay(CreateMessageResultSchema));
    client.setRequestHandler(ElicitRequestSchema, relay(ElicitResultSchema));
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (client === this.#client) await this.#refreshTools(client);
    });
    client.fallbackNotificationHandler = async (notification) => {
      if (client === this.#client) this.emit("notification", notification);
    };
    const transport = this.#makeTransport();
    try {
      await client.connect(transport);
      this.#deliverProgressFirst(transport);
      this.#capabilities = client.getServerCapabilities() ?? {};
      this.#instructions = client.getInstructions();
      this.#client = client;
      await this.#refreshTools(client);
    } catch (error) {
      await client.close().catch(() => {});
      if (this.#client === client) this.#client = undefined;
      if (this.#transportKind === "http" && this.config.transport === undefined && !this.#failures) {
        // Servers from before Streamable HTTP only speak SSE: try that once before backing off.
        this.#transportKind = "sse";
        return this.#connect();
      }
      this.#lastError = `could not connect: ${(error as Error).message}`;
      this.#failures++;
      this.#scheduleRestart();
      return;
    }
    this.#connectedAt = Date.now();
    this.#failures = 0;
    this.#lastError = undefined;
    client.onclose = () => this.#onClosed(client);
    this.#setState("connected");
  }

  /**
   * The SDK dispatches notifications a microtask late but responses at once, so when a tool's last
   * progress notification and its result arrive in one read, the result wins and the progress is
   * dropped. While calls that want progress are in flight, responses are delivered a turn later (and
   * everything after them, in order), so every progress notification is seen before its result.
   */
  #deliverProgressFirst(transport: Transport): void {
    const deliver = transport.onmessage;
    if (!deliver) return;
    let queue: Parameters<typeof deliver>[] | undefined;
    transport.onmessage = (...message) => {
      if (queue) {
        queue.push(message);
        return;
      }
      const [msg] = message;
      if (this.#progressCalls === 0 || !("id" in msg) || "method" in msg) {
        deliver(...message);
        return;
      }
      queue = [message];
      setImmediate(() => {
        const pending = queue ?? [];
        queue = undefined;
        for (const m of pending) deliver(...m);
      });
    };
  }

  async #refreshTools(client: Client): Promise<void> {
    if (!this.#capabilities.tools) {
      this.#tools = [];
      return;
    }
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.#tools = tools;
    this.emit("toolsChanged", tools);
  }

  #onClosed(client: Client): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    if (this.#stopping) return;
    this.#lastError = this.#transportKind === "stdio" ? "the server process exited" : "the connection closed";
    if (Date.now() - this.#connectedAt > HEALTHY_AFTER_MS) this.#failures = 0;
    this.#failures++;
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#stopping) return;
    this.#restarts++;
    this.#setState(this.#failures > 8 ? "failed" : "restarting");
    const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, this.#failures - 1));
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  /** Sends a request; throws `UpstreamUnavailableError` (nothing sent) when the server is not connected. */
  async request<S extends z.ZodType<Result>>(
    request: Request,
    schema: S,
    options?: RequestOptions,
  ): Promise<z.output<S>> {
    const client = this.#client;
    if (!client || this.#state !== "connected") {
      throw new UpstreamUnavailableError(`upstream "${this.name}" is not connected (${this.#state})`);
    }
    if (!options?.onprogress) return client.request(request, schema, options);
    this.#progressCalls++;
    try {
      return await client.request(request, schema, options);
    } finally {
      this.#progressCalls--;
    }
  }

  /** Sends a notification when connected; drops it otherwise. */
  async notify(notification: Notification): Promise<void> {
    await this.#client?.notification(notification);
  }

  /** Disconnects and stops restarting (a stdio server's process is ended). */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => {});
    this.#setState("stopped");
  }
}
