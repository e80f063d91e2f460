/**
 * One upstream server as the warden knows it: its own connection (the control lane: the tool catalogue,
 * the state the UI shows, restarts with backoff) and one lane per client and set of declared
 * capabilities, opened when that client first connects. Stdio servers therefore run one process for the
 * warden and one per client, unless the servers file marks the server `"share": true` (one process for
 * every client; a server request that cannot be tied to one client's call is then refused).
 */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ServerStatus } from "../../../shared/contract.js";
import { canonicalJson } from "../canonical.js";
import type { ServerConfig } from "../config/servers-config.js";
import { Emitter } from "../emitter.js";
import { toolRisks } from "../policy/risk.js";
import {
  META_SERVER_INFO,
  MODERN_PROTOCOL_VERSION,
  routingHeaders,
  WARDEN_CLIENT_INFO,
  wardenMeta,
} from "./envelope.js";
import { Lane, NotSentError, RefusedError } from "./lane.js";
import { Continuations } from "./mrtr.js";
import type { SignInHook } from "./peer-auth.js";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  HttpPeer,
  HttpStatusError,
  type Peer,
  SsePeer,
  StdioPeer,
} from "./peers.js";
import { ownMessage, withoutMembers } from "./raw-json.js";
import { WardenTasks } from "./tasks.js";
import { legacyInitResult } from "./translate.js";

const STDERR_LINES = 50;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** A server that stays up this long is healthy again: its next crash restarts at the first backoff step. */
const HEALTHY_AFTER_MS = 30_000;
/** How long one connect attempt (process start or HTTP, then initialize) may take. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** How long a client's lane stays open once its last session has ended. */
export const LANE_IDLE_MS = 5 * 60_000;
/** Lanes one client may have open to one server at once (each a process for a stdio server). */
export const MAX_LANES_PER_CLIENT = 8;
/** How long the warden's own subscriptions/listen stays open before it is opened anew. */
const LISTEN_TIMEOUT_MS = 24 * 60 * 60_000;
/** What a server announces when its lists change. */
const LIST_CHANGES = new Set([
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
]);
/** How often the warden checks that an HTTP server still knows its session. */
const HTTP_HEALTH_MS = 60_000;

/** The revision without sessions, spoken to servers that offer it. */

/** The newest legacy protocol revision the warden offers when it speaks for itself. */
export const WARDEN_PROTOCOL_VERSION = "2025-11-25";

export interface UpstreamEvents {
  state: ServerStatus["state"];
  toolsChanged: readonly Tool[];
  /** The catalogue grew by tools the server lists in the other era only (see #addLegacyTools). */
  otherEraTools: readonly Tool[];
  /** The server announced that its prompts or resources changed. */
  listChanged: "prompts" | "resources";
}

/** What a client lane is opened with. */
export interface LaneRequest {
  grant: string;
  /** The client's initialize params, as it sent them. */
  paramsText: string;
  capabilities: Record<string, unknown>;
  protocolVersion: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One upstream server and its connections. */
export class Upstream extends Emitter<UpstreamEvents> {
  readonly name: string;
  readonly config: ServerConfig;
  /** Calls the warden runs as tasks for its clients (approval waits a client polls). */
  readonly tasks = new WardenTasks();
  /** 2026-07-28 calls whose server may ask the client mid-call (answered through retries). */
  readonly continuations = new Continuations();
  #control: Lane | undefined;
  readonly #lanes = new Map<string, { grant: string; opening: Promise<Lane> }>();
  /** Connections still in their handshake: a stop closes them instead of waiting out the timeout. */
  readonly #handshaking = new Set<Lane>();
  #state: ServerStatus["state"] = "stopped";
  #transportKind: ServerStatus["transport"];
  #tools: Tool[] = [];
  #capabilities: Record<string, unknown> = {};
  #instructions: string | undefined;
  #serverInfo: Record<string, unknown> | undefined;
  /** The server answered server/discover offering 2026-07-28: its 2026 clients get 2026 lanes. */
  #modern = false;
  /** The legacy tools list of a 2026-07-28 server joined the catalogue (see #addLegacyTools). */
  #legacyListed = false;
  /** The 2026-07-28 server refused a legacy handshake: its legacy clients are bridged (see translate.ts). */
  #noLegacy = false;
  /**
   * The legacy and bridged lanes of a 2026-07-28 server open now: their clients hear of its list changes
   * from the warden's own subscriptions/listen (a bridged client has no stream of its own, and a legacy
   * connection to a stateless server has none either).
   */
  readonly #legacyLanes = new Set<Lane>();
  #stderr: string[] = [];
  /** The unfinished last line of each process's stderr (a process per client writes at once). */
  readonly #stderrPartials = new Map<number, string>();
  #processes = 0;
  #restarts = 0;
  #failures = 0;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #health: NodeJS.Timeout | undefined;
  #connectedAt = 0;
  #stopping = false;
  #ready: Promise<void>;
  #markReady: () => void = () => {};
  /** The OAuth sign-in of a URL server: its peers sign requests with it and report 401 and 403 to it. */
  readonly #auth: SignInHook | undefined;

  constructor(name: string, config: ServerConfig, auth?: SignInHook) {
    super();
    this.name = name;
    this.config = config;
    this.#transportKind = config.url ? (config.transport === "sse" ? "sse" : "http") : "stdio";
    this.#ready = this.#newReady();
    this.#auth = config.url ? auth : undefined;
    if (this.#auth) this.#auth.onNeeded = (problem) => this.#needSignIn(problem);
  }

  /** A refusal only a person can answer: the state says so until the user signs in (no restarts meanwhile). */
  #needSignIn(problem: string): void {
    if (this.#stopping) return;
    this.#lastError = problem;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#setState("sign-in-needed");
  }

  /** Connects again now (after a sign-in or sign-out), whatever the backoff was. */
  async reconnect(): Promise<void> {
    if (this.#stopping) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failures = 0;
    // Said at once, so whoever asks right after a sign-in sees the server coming up, not the old refusal.
    this.#setState("starting");
    const control = this.#control;
    this.#control = undefined;
    await control?.close();
    const lanes = await this.openLanes();
    this.#lanes.clear();
    await Promise.all(lanes.map((l) => l.close()));
    await this.#connect();
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
  get capabilities(): Record<string, unknown> {
    return this.#capabilities;
  }
  get instructions(): string | undefined {
    return this.#instructions;
  }
  /** Whether the server speaks MCP 2026-07-28 (it answered server/discover offering it). */
  get modern(): boolean {
    return this.#modern;
  }
  /** Who the server says it is (its initialize answer's serverInfo). */
  get serverInfo(): Record<string, unknown> | undefined {
    return this.#serverInfo;
  }
  /** The most one message from this server may be. */
  get maxMessageBytes(): number {
    return this.config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }
  /** How long one connect attempt may take (the server's `connectTimeoutMs`, or the default). */
  get #connectTimeoutMs(): number {
    return this.config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }
  /** How long one request may wait for the server (progress extends it). */
  get timeoutMs(): number {
    return this.config.timeoutMs ?? 300_000;
  }

  /** Resolves once the server has connected (or `ms` has passed); true when connected. */
  async whenReady(ms: number): Promise<boolean> {
    if (this.#state === "connected") return true;
    // Waiting would not help: only the user's sign-in brings it up.
    if (this.#state === "sign-in-needed") return false;
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
        const { risk, actions, argument } = toolRisks(t);
        return {
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          risk,
          ...(actions ? { actions: { ...actions } } : {}),
          ...(actions && argument ? { argument } : {}),
        };
      }),
      stderr: [...this.#stderr, ...[...this.#stderrPartials.values()].filter(Boolean)].slice(-STDERR_LINES),
      restarts: this.#restarts,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(this.#auth && (this.#auth.needed || this.#auth.info().signedIn)
        ? { signIn: this.#auth.info() }
        : {}),
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

  /**
   * Keeps the server's last stderr lines (of all its processes); a line split across reads is joined with
   * the rest from the same process, never with another process's output.
   */
  #captureStderr(proc: number, text: string): void {
    const lines = ((this.#stderrPartials.get(proc) ?? "") + text).split(/\r?\n/);
    this.#stderrPartials.delete(proc);
    const rest = (lines.pop() ?? "").slice(0, 2_000);
    if (rest) this.#stderrPartials.set(proc, rest);
    // Processes come and go (one per client): the unfinished lines of the newest few are enough.
    for (const old of this.#stderrPartials.keys())
      if (this.#stderrPartials.size > 8) this.#stderrPartials.delete(old);
    for (const line of lines) {
      if (!line) continue;
      this.#stderr.push(line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line);
    }
    if (this.#stderr.length > STDERR_LINES) this.#stderr.splice(0, this.#stderr.length - STDERR_LINES);
  }

  #peer(kind: "stdio" | "http" | "sse"): Peer {
    const { config } = this;
    const max = this.maxMessageBytes;
    if (kind === "stdio") {
      const proc = ++this.#processes;
      return new StdioPeer({
        command: config.command ?? "",
        args: config.args ?? [],
        env: { ...inheritedEnvironment(), ...(config.env ?? {}) },
        ...(config.cwd ? { cwd: config.cwd } : {}),
        maxMessageBytes: max,
        onStderr: (text) => this.#captureStderr(proc, text),
      });
    }
    const options = {
      url: new URL(config.url ?? ""),
      headers: config.headers ?? {},
      maxMessageBytes: max,
      ...(this.#auth ? { auth: this.#auth } : {}),
    };
    return kind === "sse" ? new SsePeer(options) : new HttpPeer(options);
  }

  /**
   * Opens a connection and runs the handshake: Streamable HTTP first, then the older SSE transport when
   * the server answers the POST with 400, 404 or 405 (unless `transport` pins one). Every attempt has a
   * timeout; the error says what really happened.
   */
  async #open(key: string, paramsText: string, shared: boolean, only?: ("http" | "sse")[]): Promise<Lane> {
    const { config } = this;
    const kinds: ("stdio" | "http" | "sse")[] =
      only ?? (config.url ? (config.transport ? [config.transport] : ["http", "sse"]) : ["stdio"]);
    const timeoutMs = this.#connectTimeoutMs;
    let lastError: Error | undefined;
    for (const kind of kinds) {
      const peer = this.#peer(kind);
      const lane = new Lane(key, peer, shared);
      this.#handshaking.add(lane);
      try {
        await withTimeout(
          (async () => {
            if (peer instanceof StdioPeer) await peer.started();
            if (peer instanceof SsePeer) await peer.connect();
            await lane.initialize(paramsText, timeoutMs);
          })(),
          timeoutMs,
          kind === "stdio" ? "starting the server" : "connecting",
        );
        this.#handshaking.delete(lane);
        if (key === "control") this.#transportKind = kind;
        return lane;
      } catch (error) {
        this.#handshaking.delete(lane);
        await lane.close().catch(() => {});
        lastError = error as Error;
        const refused =
          lastError instanceof HttpStatusError ||
          (lastError instanceof NotSentError && /HTTP 4\d\d/.test(lastError.message));
        if (
          kind === "http" &&
          kinds.includes("sse") &&
          refused &&
          /\b(400|404|405)\b/.test(lastError.message)
        )
          continue;
        break;
      }
    }
    throw lastError ?? new Error("no transport to try");
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopping) return;
    this.#setState(this.#restarts || this.#failures ? "restarting" : "starting");
    let lane: Lane;
    let discovered: DiscoverResult | undefined;
    try {
      if (this.config.url && this.config.transport !== "sse") discovered = await this.#discover();
      this.#noLegacy = false;
      // A 2026-07-28 server is asked as one: no handshake, the warden's own envelope on every request.
      if (discovered) {
        lane = await this.#modernLane("control", false);
        this.#transportKind = "http";
      } else {
        try {
          lane = await this.#open("control", JSON.stringify(WARDEN_INITIALIZE), false);
        } catch (error) {
          // A stdio server is not probed (a legacy one need not answer anything before initialize); one of
          // 2026-07-28 alone says so when it refuses the handshake, and is then asked as one.
          if (this.config.url || !refusedForModern(error)) throw error;
          lane = await this.#modernLane("control", false);
          discovered = await this.#discoverOn(lane);
          this.#noLegacy = true;
        }
      }
      this.#modern = discovered !== undefined;
    } catch (error) {
      if (this.#auth?.needed) {
        this.#needSignIn(`could not connect: ${(error as Error).message}`);
        return;
      }
      this.#lastError = `could not connect: ${(error as Error).message}`;
      this.#failures++;
      this.#scheduleRestart();
      return;
    }
    if (this.#stopping) {
      await lane.close();
      return;
    }
    const result = discovered ?? ((lane.initResult?.value.result ?? {}) as DiscoverResult);
    this.#capabilities = result.capabilities ?? {};
    this.#instructions = result.instructions;
    this.#serverInfo = result.serverInfo;
    this.#control = lane;
    lane.onnotification = (message) => {
      if (lane !== this.#control) return;
      const method = message.value.method;
      if (typeof method !== "string" || !LIST_CHANGES.has(method)) return;
      if (method === "notifications/tools/list_changed") void this.#refreshTools(lane).catch(() => {});
      else if (method === "notifications/prompts/list_changed") this.emit("listChanged", "prompts");
      else if (method === "notifications/resources/list_changed") this.emit("listChanged", "resources");
      const text = withoutMembers(message.text, ["params"], (key) => key === "_meta");
      for (const legacy of this.#legacyLanes) for (const client of legacy.clients) client.toClient(text);
    };
    lane.onclose = (reason) => this.#onControlClosed(lane, reason);
    try {
      await this.#refreshTools(lane);
    } catch (error) {
      await lane.close();
      this.#control = undefined;
      this.#lastError = `could not list the server's tools: ${(error as Error).message}`;
      this.#failures++;
      this.#scheduleRestart();
      return;
    }
    if (lane.era !== "legacy") this.#listen(lane);
    this.#connectedAt = Date.now();
    this.#failures = 0;
    this.#lastError = undefined;
    if (this.#transportKind !== "stdio") {
      // An HTTP server that restarted forgets its sessions: a regular ping finds out and reconnects.
      if (this.#health) clearInterval(this.#health);
      this.#health = setInterval(() => void this.checkHealth(), HTTP_HEALTH_MS);
      this.#health.unref();
    }
    this.#setState("connected");
  }

  /**
   * Asks the server with server/discover whether it speaks 2026-07-28: what it says of itself when it does,
   * undefined for any other answer.
   */
  async #discover(): Promise<DiscoverResult | undefined> {
    const peer = new HttpPeer({
      url: new URL(this.config.url ?? ""),
      headers: this.config.headers ?? {},
      maxMessageBytes: 1024 * 1024,
      ...(this.#auth ? { auth: this.#auth } : {}),
    });
    let answer: unknown;
    let offered: unknown;
    peer.onmessage = (message) => {
      answer = message.value.result;
      const error = message.value.error as { code?: unknown; data?: { supported?: unknown } } | undefined;
      offered = error?.code === -32022 ? error.data?.supported : undefined;
    };
    const discover = { jsonrpc: "2.0", id: 0, method: "server/discover", params: { _meta: wardenMeta() } };
    try {
      // "Unsupported protocol version" that lists 2026-07-28 among the supported is worth asking again, once.
      for (let attempt = 0; attempt < 2; attempt++) {
        answer = undefined;
        offered = undefined;
        await withTimeout(
          peer.send(JSON.stringify(discover), 0, {
            "mcp-protocol-version": MODERN_PROTOCOL_VERSION,
            ...routingHeaders("server/discover", {}),
          }),
          this.#connectTimeoutMs,
          "server/discover",
        );
        if (answer || !Array.isArray(offered) || !offered.includes(MODERN_PROTOCOL_VERSION)) break;
      }
    } catch (error) {
      // A refusal that only a sign-in answers is the answer: no handshake of another era is tried.
      if (this.#auth?.needed) throw error;
      return undefined;
    } finally {
      await peer.close();
    }
    return discoverResultOf(answer);
  }

  /**
   * A 2026-07-28 server announces list changes only on a `subscriptions/listen` stream: the warden's own
   * connection keeps one open for the lists the server says can change. One that ends or breaks is opened
   * again (and the tools listed again, for what changed meanwhile); one the server refuses is not asked again
   * on this connection.
   */
  #listen(lane: Lane, retryMs = 1_000): void {
    const caps = this.#capabilities as Record<string, { listChanged?: unknown } | undefined>;
    const notifications = {
      ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    if (Object.keys(notifications).length === 0) return;
    const current = () => lane === this.#control && !lane.closed && !this.#stopping;
    const opened = Date.now();
    const reopen = () => {
      // A stream that stayed open a while is opened again at once; one that keeps ending, ever more slowly.
      const next = Date.now() - opened > 30_000 ? 1_000 : Math.min(60_000, retryMs * 2);
      const timer = setTimeout(() => {
        if (!current()) return;
        this.#listen(lane, next);
        void this.#refreshTools(lane).catch(() => {});
      }, retryMs);
      timer.unref();
    };
    lane.ask("subscriptions/listen", { notifications }, LISTEN_TIMEOUT_MS).then(
      (answer) => {
        // A graceful end (a result) is opened again; a refusal is the server's answer for this connection.
        if (current() && answer.value.error === undefined) reopen();
      },
      () => {
        if (current()) reopen();
      },
    );
  }

  /** server/discover on a 2026-07-28 lane of the warden's own (a stdio server): what the server says of itself. */
  async #discoverOn(lane: Lane): Promise<DiscoverResult> {
    try {
      const answer = await lane.ask("server/discover", {}, this.#connectTimeoutMs);
      const found = discoverResultOf(answer.value.result);
      if (found) return found;
      const error = answer.value.error as { message?: unknown } | undefined;
      throw new Error(
        `the server refused initialize for 2026-07-28, then did not answer server/discover as one: ${String(error?.message ?? "no 2026-07-28 in its answer")}`,
      );
    } catch (error) {
      await lane.close();
      throw error;
    }
  }

  /** Pings the server on the warden's own connection; a failure reconnects. */
  async checkHealth(): Promise<void> {
    const lane = this.#control;
    if (!lane || lane.closed) return;
    try {
      // Any answer, even an error from a server without ping, shows the session is still known; 2026-07-28
      // has neither sessions nor ping, and server/discover is what every such server answers.
      await lane.ask(lane.era === "legacy" ? "ping" : "server/discover", {}, 10_000);
    } catch (error) {
      if (lane === this.#control)
        await lane.close(`the server stopped answering: ${(error as Error).message}`);
    }
  }

  /**
   * The tool catalogue, listed on the warden's own connection in the server's newest era (for a dual-era
   * server the legacy-only tools join it with the first legacy client). Pins, risk and the checks on calls
   * use the union.
   */
  async #refreshTools(lane: Lane): Promise<void> {
    this.#legacyListed = false;
    if (!this.#capabilities.tools) {
      this.#tools = [];
      return;
    }
    this.#tools = await listTools(lane);
    this.emit("toolsChanged", this.#tools);
  }

  /**
   * The warden lists a 2026-07-28 server's tools in 2026-07-28, and a dual-era server may offer some tools
   * to legacy clients only: the first legacy connection a client opens lists them too (once per connection
   * of the warden's own), before the client's first request, so pins, risk and the checks on calls know
   * them. They count as part of the server's first catalogue when that was first seen by this warden.
   */
  async #addLegacyTools(lane: Lane): Promise<void> {
    if (this.#legacyListed || !this.#capabilities.tools) return;
    this.#legacyListed = true;
    let legacy: Tool[];
    try {
      legacy = await listTools(lane);
    } catch {
      this.#legacyListed = false;
      return;
    }
    const names = new Set(this.#tools.map((t) => t.name));
    const added = legacy.filter((t) => !names.has(t.name));
    if (!added.length) return;
    this.#tools = [...this.#tools, ...added];
    this.emit("otherEraTools", this.#tools);
  }

  #onControlClosed(lane: Lane, reason: string): void {
    if (lane !== this.#control) return;
    this.#control = undefined;
    if (this.#health) clearInterval(this.#health);
    if (this.#stopping) return;
    this.#lastError = reason;
    if (Date.now() - this.#connectedAt > HEALTHY_AFTER_MS) this.#failures = 0;
    this.#failures++;
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#stopping) return;
    if (this.#auth?.needed) {
      // Retrying with the same (or no) token would be refused again: wait for the user's sign-in.
      this.#setState("sign-in-needed");
      return;
    }
    this.#restarts++;
    this.#setState(this.#failures > 8 ? "failed" : "restarting");
    const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, this.#failures - 1));
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  /**
   * The lane for a client: one per grant, declared capabilities and protocol version (one for every
   * client when the server is shared). Opened on first use with the client's own initialize; a closed
   * lane (the process exited, the HTTP session expired) is opened anew.
   */
  async laneFor(request: LaneRequest): Promise<Lane> {
    if (this.#stopping) throw new NotSentError(`upstream "${this.name}" is stopped`);
    const shared = this.config.share === true;
    const owner = shared ? "*" : request.grant;
    // A 2026-07-28 client of a 2026-07-28 server: its requests carry their own capabilities, so one lane
    // per client serves them all, with no handshake.
    const modern = this.#modern && request.protocolVersion === MODERN_PROTOCOL_VERSION;
    const key = modern
      ? canonicalJson([owner, MODERN_PROTOCOL_VERSION])
      : canonicalJson([owner, request.capabilities, request.protocolVersion]);
    const existing = this.#lanes.get(key);
    if (existing) {
      const lane = await existing.opening.catch(() => undefined);
      if (lane && !lane.closed) return lane;
      if (this.#lanes.get(key) === existing) this.#lanes.delete(key);
    }
    let owned = 0;
    for (const entry of this.#lanes.values()) if (entry.grant === owner) owned++;
    if (owned >= MAX_LANES_PER_CLIENT) {
      throw new NotSentError(
        `this client already has ${MAX_LANES_PER_CLIENT} connections to "${this.name}" with different capabilities; close some sessions`,
      );
    }
    const entry = {
      grant: owner,
      opening: modern
        ? this.#modernLane(key, shared)
        : this.#modern
          ? this.#legacyOfModern(key, request, shared)
          : this.#open(key, request.paramsText, shared),
    };
    this.#lanes.set(key, entry);
    const forget = () => {
      if (this.#lanes.get(key) === entry) this.#lanes.delete(key);
    };
    let lane: Lane;
    try {
      lane = await entry.opening;
    } catch (error) {
      forget();
      throw new NotSentError(`could not connect to "${this.name}": ${(error as Error).message}`);
    }
    if (this.#modern && !modern) {
      if (!lane.bridged) await this.#addLegacyTools(lane);
      this.#legacyLanes.add(lane);
    }
    lane.onclose = (reason) => {
      forget();
      this.#legacyLanes.delete(lane);
      if (lane.peer.kind === "stdio" && !this.#stopping) {
        // The client's own process ended: its next request starts a new one.
        this.#restarts++;
        this.#lastError = reason;
        this.emit("state", this.#state);
      } else void this.checkHealth();
    };
    return lane;
  }

  /**
   * A legacy client's lane to a 2026-07-28 server: the server's own legacy handshake where it has one;
   * where it refuses it (a server of 2026-07-28 alone), a bridged lane that speaks 2026-07-28 for the
   * client, with the handshake answered from the server's server/discover.
   */
  async #legacyOfModern(key: string, request: LaneRequest, shared: boolean): Promise<Lane> {
    if (!this.#noLegacy) {
      try {
        return await this.#open(key, request.paramsText, shared, this.config.url ? ["http"] : undefined);
      } catch (error) {
        // Only a refusal that says the server has no legacy handshake bridges its legacy clients from now on.
        if (!refusedForModern(error)) throw error;
        this.#noLegacy = true;
      }
    }
    const lane = await this.#modernLane(key, shared, true);
    const result = legacyInitResult(
      { capabilities: this.#capabilities, instructions: this.#instructions, serverInfo: this.#serverInfo },
      request.protocolVersion === "other" ? WARDEN_PROTOCOL_VERSION : request.protocolVersion,
    );
    const text = `{"jsonrpc":"2.0","id":0,"result":${JSON.stringify(result)}}`;
    lane.initResult = ownMessage(text);
    return lane;
  }

  /**
   * A 2026-07-28 lane: a peer that sends each request as its client wrote it, envelope and all (an HTTP
   * connection, or a process of its own for a stdio server).
   */
  async #modernLane(key: string, shared: boolean, bridged = false): Promise<Lane> {
    if (!this.config.url) {
      const peer = this.#peer("stdio") as StdioPeer;
      const lane = new Lane(key, peer, shared, MODERN_PROTOCOL_VERSION, bridged);
      this.#handshaking.add(lane);
      const timeoutMs = this.#connectTimeoutMs;
      try {
        await withTimeout(peer.started(), timeoutMs, "starting the server");
      } catch (error) {
        await lane.close();
        throw error;
      } finally {
        this.#handshaking.delete(lane);
      }
      return lane;
    }
    const peer = new HttpPeer({
      url: new URL(this.config.url),
      headers: this.config.headers ?? {},
      maxMessageBytes: this.maxMessageBytes,
      ...(this.#auth ? { auth: this.#auth } : {}),
    });
    peer.protocolVersion = MODERN_PROTOCOL_VERSION;
    return new Lane(key, peer, shared, MODERN_PROTOCOL_VERSION, bridged);
  }

  /** Every client lane open now. */
  async openLanes(): Promise<Lane[]> {
    const lanes = await Promise.all([...this.#lanes.values()].map((e) => e.opening.catch(() => undefined)));
    return lanes.filter((l): l is Lane => l !== undefined && !l.closed);
  }

  /** Disconnects everything and stops restarting (stdio servers' processes end). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.tasks.close();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#health) clearInterval(this.#health);
    const lanes = await this.openLanes();
    this.#lanes.clear();
    this.#legacyLanes.clear();
    const control = this.#control;
    this.#control = undefined;
    const handshaking = [...this.#handshaking];
    this.#handshaking.clear();
    await Promise.all([
      control?.close(),
      ...lanes.map((l) => l.close()),
      ...handshaking.map((l) => l.close()),
    ]);
    this.#setState("stopped");
  }
}

/** The warden's own initialize, on connections it opens for itself. */
const WARDEN_INITIALIZE = {
  protocolVersion: WARDEN_PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: WARDEN_CLIENT_INFO,
};

/** What a server says of itself: its initialize result, or its server/discover result. */
interface DiscoverResult {
  capabilities?: Record<string, unknown>;
  instructions?: string;
  serverInfo?: Record<string, unknown>;
}

/** Every page of a server's tools/list, through a lane of either era (the lane adds the warden's envelope). */
async function listTools(lane: Lane): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const answer = await lane.ask("tools/list", cursor ? { cursor } : {}, 60_000);
    const page = answer.value.result as { tools?: Tool[]; nextCursor?: string } | undefined;
    if (!page || !Array.isArray(page.tools)) {
      const error = answer.value.error as { message?: string } | undefined;
      throw new Error(error?.message ?? "tools/list gave no tools");
    }
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** What a server/discover result says, when it offers 2026-07-28; undefined otherwise. */
function discoverResultOf(value: unknown): DiscoverResult | undefined {
  const answer = value as
    | (DiscoverResult & { supportedVersions?: unknown; _meta?: Record<string, unknown> })
    | undefined;
  if (!answer || !Array.isArray(answer.supportedVersions)) return undefined;
  if (!answer.supportedVersions.includes(MODERN_PROTOCOL_VERSION)) return undefined;
  const serverInfo = answer._meta?.[META_SERVER_INFO] ?? answer.serverInfo;
  return {
    capabilities: answer.capabilities ?? {},
    ...(typeof answer.instructions === "string" ? { instructions: answer.instructions } : {}),
    ...(serverInfo && typeof serverInfo === "object"
      ? { serverInfo: serverInfo as Record<string, unknown> }
      : {}),
  };
}

/**
 * A refused handshake that names 2026-07-28 among what the server supports (-32022): it speaks that
 * revision alone. Over HTTP the refusal may come as a 400 whose body is not tied to the request's id.
 */
function refusedForModern(error: unknown): boolean {
  if (error instanceof RefusedError) {
    const supported = (error.error.data as { supported?: unknown } | undefined)?.supported;
    return (
      error.error.code === -32022 && Array.isArray(supported) && supported.includes(MODERN_PROTOCOL_VERSION)
    );
  }
  // The lane's word for a refusal the peer saw only as an HTTP status: "HTTP 400 …: <the body>".
  const message = error instanceof Error ? error.message : "";
  return (
    /^HTTP 400\b/.test(message) && message.includes("-32022") && message.includes(MODERN_PROTOCOL_VERSION)
  );
}

/**
 * What a stdio server inherits of the warden's environment besides its own `env`: where home is, who the
 * user is, the search path and the terminal (on Windows, the profile and system folders), as MCP clients
 * do; nothing else of the warden's (its tokens among them). A value that is a shell function definition
 * (`() {…`) is left out.
 */
export function inheritedEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const names =
    process.platform === "win32"
      ? [
          "APPDATA",
          "HOMEDRIVE",
          "HOMEPATH",
          "LOCALAPPDATA",
          "PATH",
          "PROCESSOR_ARCHITECTURE",
          "PROGRAMFILES",
          "SYSTEMDRIVE",
          "SYSTEMROOT",
          "TEMP",
          "USERNAME",
          "USERPROFILE",
        ]
      : ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];
  const inherited: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && !value.startsWith("()")) inherited[name] = value;
  }
  return inherited;
}
