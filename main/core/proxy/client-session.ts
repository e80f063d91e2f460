/**
 * One client session in front of one upstream: the relay. Each message from the client is parsed once;
 * tools/call and the other governed requests go through the warden's decision, tools/list is filtered,
 * and everything else travels on to the client's own lane as it was sent. What the server sends back
 * reaches this client only, with the client's own ids and progress tokens.
 */
import { setTimeout as delay } from "node:timers/promises";
import { canonicalJson } from "../canonical.js";
import { type GovernedRequest, isGovernedRequest } from "../policy/decide.js";
import {
  clientNameOf,
  headerAnnotationProblem,
  LEGACY_PROTOCOL_VERSIONS,
  MISSING_CAPABILITY,
  routingHeaders,
} from "./envelope.js";
import type { CallGate, CallOutcomeOf, IncomingCall } from "./gate.js";
import { clientCan, type Lane, type LaneClient, NotSentError, UpstreamFailedError } from "./lane.js";
import { type Continuation, STATE_PREFIX } from "./mrtr.js";
import {
  elementSpans,
  errorResponse,
  kindOf,
  methodOf,
  ownMessage,
  paramsOf,
  type RawId,
  type RawMessage,
  rawIdOf,
  replaceAt,
  resultResponse,
  spanAt,
  splice,
  withId,
  withoutMembers,
} from "./raw-json.js";
import { outcomeOf, RELATED_TASK, type TaskOutcome, type TaskView } from "./tasks.js";
import { LegacyBridge } from "./translate.js";
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
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;

/** The first revision with tasks: sessions that negotiated it (or later) may run tool calls as tasks. */
const TASKS_SINCE = "2025-11-25";
/** What the warden offers: task-augmented tool calls, listed and cancellable. */
const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };
const TASK_METHODS = new Set(["tasks/get", "tasks/result", "tasks/cancel", "tasks/list", "tasks/update"]);
/** The 2026-07-28 tasks extension, as a client declares it in its capabilities' `extensions`. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
const WAITING_FOR_HUMAN = "Waiting for a human to approve this call in MCP Warden";

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
  /** The warden's tasks this session started that have not ended (cancelled if the session ends first). */
  readonly #tasks = new Set<string>();
  /** The session negotiated a revision with tasks: the warden runs task-augmented calls it must hold. */
  #takesTasks = false;
  /** A 2026-07-28 request: tasks are the extension's (server-directed, polled with tasks/get). */
  readonly #modern: boolean;
  /** A 2026-07-28 tool call the server may ask questions of (answered through the client's retries). */
  #continuation: Continuation<(idText: string) => string> | undefined;
  #closed = false;
  /** Who the client says it is (its handshake's clientInfo), shown to the human it asks. */
  #clientName: string | undefined;
  /** The client's initialize params (a legacy client's). */
  #handshake: Record<string, unknown> = {};
  /** A legacy client of a server that speaks only 2026-07-28: its requests, spoken in that revision. */
  #bridge: LegacyBridge | undefined;

  constructor(options: {
    warden: CallGate;
    upstream: Upstream;
    grant: string;
    sessionId: string;
    outlet: ClientOutlet;
    keepAliveMs?: number;
    /** Shapes each answer for the client's protocol era (2026-07-28 adds what its results require). */
    answer?: (text: string) => string;
    /** A 2026-07-28 request (one per session): its tasks outlive it, and take the extension's shape. */
    modern?: boolean;
    /** A 2026-07-28 request's `clientInfo` from its `_meta` (a legacy client gives it in `initialize`). */
    clientInfo?: unknown;
  }) {
    this.#modern = options.modern === true;
    this.#clientName = clientNameOf(options.clientInfo);
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
    // A 2026-07-28 client is asked through its call's answer (input_required), never by a request.
    if (this.#modern)
      return this.#continuation
        ? this.#continuation.ask(message, signal)
        : Promise.reject(new Error("a 2026-07-28 client cannot be asked outside a tool call"));
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
      return errorResponse(id.text, INTERNAL_ERROR, this.#failed(error));
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
    if (method === "tools/call")
      return this.#takesTasks && (this.#modern || isTaskAugmented(message))
        ? this.#callToolAsTask(message, id, signal)
        : this.#modern
          ? this.#callToolModern(message, id, signal)
          : this.#callTool(message, id, signal);
    if (this.#takesTasks && TASK_METHODS.has(method)) {
      const own = await this.#ownTask(method, message, id, signal);
      if (own !== null) return own;
    }
    // The warden offers 2026-07-28 clients the tasks extension for its own tasks, also in front of a server
    // that has no tasks: what that server would not know, the warden answers as the extension says.
    if (this.#modern && TASK_METHODS.has(method) && !this.#serverHasTasks())
      return this.#takesTasks
        ? errorResponse(id.text, INVALID_PARAMS, "Task not found")
        : errorResponse(id.text, MISSING_CAPABILITY, `${method} needs the ${TASKS_EXTENSION} extension`, {
            requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
          });
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
      ...this.#asker(),
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
    this.#clientName = clientNameOf(params.clientInfo);
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
        LEGACY_PROTOCOL_VERSIONS.includes(params.protocolVersion)
          ? params.protocolVersion
          : "other",
    };
    const failed = await this.openLane(request);
    if (failed) return errorResponse(id.text, INTERNAL_ERROR, `MCP Warden: ${failed}`);
    this.#handshake = params;
    const init = this.#lane?.initResult;
    if (!init)
      return errorResponse(id.text, INTERNAL_ERROR, "MCP Warden: the server gave no initialize result");
    const version = (init.value.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    this.#takesTasks = typeof version === "string" && version >= TASKS_SINCE;
    const announced = announceListChanges(init);
    return withId(this.#takesTasks ? announceTasks(announced) : announced, id.text);
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
    if (this.#modern) {
      const extensions = request.capabilities.extensions as Record<string, unknown> | undefined;
      this.#takesTasks = typeof extensions?.[TASKS_EXTENSION] === "object";
    }
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
    // A 2026-07-28 request's session ends with its answer; its tasks still reach the server.
    if (this.#closed && !this.#held()) throw new NotSentError("the client session has ended");
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
      const options = { timeoutMs: this.#upstream.timeoutMs, signal };
      try {
        if (!lane.bridged) return await lane.request(this, message, options);
        this.#bridge ??= new LegacyBridge(
          this.#handshake,
          (tool) => this.#upstream.tools.find((t) => t.name === tool)?.inputSchema,
        );
        const related = rawIdOf(message);
        return await this.#bridge.request(
          {
            // A later round that fails on its way is a failure of the request: sending it all again would put
            // the server's questions to the client a second time.
            send: (m, round) =>
              lane.request(this, m, options).catch((error: unknown) => {
                throw round > 0 && error instanceof NotSentError
                  ? new UpstreamFailedError(errorText(error))
                  : error;
              }),
            // A question the client leaves unanswered fails like a request the server leaves unanswered.
            ask: (question, asked) =>
              this.askClient(
                question,
                related,
                AbortSignal.any([asked, AbortSignal.timeout(this.#upstream.timeoutMs)]),
              ),
            can: (question) => clientCan(methodOf(question) ?? "", this.capabilities, paramsOf(question)),
          },
          message,
          signal,
        );
      } catch (error) {
        if (!(error instanceof NotSentError) || attempt > 0 || signal.aborted) throw error;
      }
    }
  }

  async #callTool(message: RawMessage, id: RawId, signal: AbortSignal): Promise<string | undefined> {
    const token = spanAt(message.text, ["params", "_meta", "progressToken"]);
    const tokenText = token ? message.text.slice(token[0], token[1]) : undefined;
    const outcome = await this.#call(message, signal, {
      forward: () => this.#relay(message, signal),
      ...(tokenText !== undefined ? { whileWaiting: () => this.#keepAlive(tokenText, id) } : {}),
    });
    if (signal.aborted && outcome.refused) return undefined;
    return answerOf(outcome, id.text);
  }

  /** What a request that failed on its way to the server is answered with. */
  #failed(error: unknown): string {
    return `MCP Warden: upstream "${this.#upstream.name}" failed: ${errorText(error)}`;
  }

  /**
   * A 2026-07-28 tool call. Questions its server asks mid-call come back as the answer
   * (`input_required`, with a requestState of the warden's); the client's retry continues the same call.
   */
  async #callToolModern(message: RawMessage, id: RawId, signal: AbortSignal): Promise<string | undefined> {
    const state = paramsOf(message).requestState;
    if (typeof state === "string" && state.startsWith(STATE_PREFIX))
      return this.#resume(message, id, signal, state);
    const continuation = this.#upstream.continuations.open<(idText: string) => string>(
      this.grant,
      callKey(message),
    );
    this.#continuation = continuation;
    // The request's end cancels the call, unless the call now waits for the client's retry.
    const abort = new AbortController();
    signal.addEventListener("abort", () => continuation.awaitingRetry || abort.abort(), { once: true });
    continuation.onExpire = () => abort.abort();
    this.#call(message, abort.signal, { forward: () => this.#relay(message, abort.signal) })
      .then(
        (outcome) => continuation.end((idText) => answerOf(outcome, idText)),
        (error: unknown) =>
          continuation.end((idText) => errorResponse(idText, INTERNAL_ERROR, this.#failed(error))),
      )
      .finally(() => {
        this.#continuation = undefined;
        this.#release();
      });
    return this.#nextTurn(continuation, id, signal, abort);
  }

  /** A retry under a requestState of the warden's: the answers go to the server; the call goes on. */
  async #resume(
    message: RawMessage,
    id: RawId,
    signal: AbortSignal,
    state: string,
  ): Promise<string | undefined> {
    const continuations = this.#upstream.continuations;
    const checked = continuations.states.verify(state, Date.now());
    const refuse = (why: string) => errorResponse(id.text, INVALID_PARAMS, `MCP Warden: ${why}`);
    if ("refused" in checked) return refuse(checked.refused);
    const continuation = continuations.get(checked.c) as Continuation<(idText: string) => string> | undefined;
    if (!continuation || checked.g !== this.grant || continuation.grant !== this.grant)
      return refuse("the call this requestState continues has ended");
    if (continuation.call !== callKey(message))
      return refuse("a retry must repeat the call it continues (the same tool and arguments)");
    const responses = paramsOf(message).inputResponses;
    const refused = continuation.resume(
      checked.r,
      responses && typeof responses === "object" ? (responses as Record<string, unknown>) : {},
    );
    if (refused) return refuse(refused);
    return this.#nextTurn(continuation, id, signal);
  }

  /** The call's next turn as this request's answer: its result, or the server's next questions. */
  async #nextTurn(
    continuation: Continuation<(idText: string) => string>,
    id: RawId,
    signal: AbortSignal,
    abort?: AbortController,
  ): Promise<string | undefined> {
    const turn = await continuation.next();
    if ("end" in turn) return signal.aborted && !abort ? undefined : turn.end(id.text);
    return `{"jsonrpc":"2.0","id":${id.text},"result":{"resultType":"input_required","inputRequests":${turn.input},"requestState":${JSON.stringify(turn.state)}}}`;
  }

  /** A tool call through the warden's pipeline, sent on with `forward` when it is allowed. */
  #call(
    message: RawMessage,
    signal: AbortSignal,
    how: Pick<IncomingCall, "forward" | "whileWaiting">,
  ): Promise<CallOutcomeOf> {
    const params = paramsOf(message);
    const name = typeof params.name === "string" ? params.name : "";
    const args =
      params.arguments && typeof params.arguments === "object" && !Array.isArray(params.arguments)
        ? (params.arguments as Record<string, unknown>)
        : {};
    const argsSpan =
      params.arguments !== undefined ? spanAt(message.text, ["params", "arguments"]) : undefined;
    return this.#warden.handleCall({
      server: this.#upstream.name,
      tool: name,
      args,
      ...(argsSpan && args === params.arguments
        ? { argsText: message.text.slice(argsSpan[0], argsSpan[1]) }
        : {}),
      grant: this.grant,
      ...this.#asker(),
      session: this.sessionId,
      signal,
      ...how,
    });
  }

  /** Who the client said it is, for the calls it makes. */
  #asker(): Pick<IncomingCall, "clientName"> {
    return this.#clientName ? { clientName: this.#clientName } : {};
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

  /** Whether the server has tasks of its own: the 2026-07-28 extension, or 2025-11-25's capability. */
  #serverHasTasks(): boolean {
    const caps = this.#upstream.capabilities as { extensions?: Record<string, unknown>; tasks?: unknown };
    return typeof caps.extensions?.[TASKS_EXTENSION] === "object" || caps.tasks !== undefined;
  }

  /** Whether the server runs task-augmented tool calls itself (it said so in its handshake). */
  #serverRunsTasks(): boolean {
    return this.#serverTasks()?.requests?.tools?.call !== undefined;
  }

  /** The server's own tasks capability, from its handshake on this session's lane. */
  #serverTasks(): { list?: unknown; requests?: { tools?: { call?: unknown } } } | undefined {
    const result = this.#lane?.initResult?.value.result as
      | { capabilities?: { tasks?: { list?: unknown; requests?: { tools?: { call?: unknown } } } } }
      | undefined;
    return result?.capabilities?.tasks;
  }

  /**
   * A tool call the client asked to run as a task. When the call must wait for a human, or the server
   * cannot run tasks, the warden answers with a task of its own at once and the call goes on through the
   * same pipeline; its outcome is what tasks/result gives. A call the server can run as a task and that
   * needs nobody's answer goes to the server as it was sent (the server's task is the client's).
   */
  async #callToolAsTask(message: RawMessage, id: RawId, signal: AbortSignal): Promise<string | undefined> {
    const tasks = this.#upstream.tasks;
    const ttl = (paramsOf(message).task as { ttl?: unknown } | null)?.ttl;
    // Until it has a task, the call is the request's: cancelling the request cancels it.
    const abort = new AbortController();
    let task: TaskView | undefined;
    signal.addEventListener("abort", () => task === undefined && abort.abort(), { once: true });
    let answerNow: (text: string) => void = () => {};
    const early = new Promise<string>((resolve) => {
      answerNow = resolve;
    });
    const mint = (statusMessage: string): boolean => {
      const view = tasks.create(this.grant, ttl, statusMessage, () => abort.abort());
      if (!view) return false;
      task = view;
      this.#tasks.add(view.taskId);
      answerNow(
        resultResponse(id.text, this.#modern ? { resultType: "task", ...modernTask(view) } : { task: view }),
      );
      return true;
    };
    // A legacy client asked for a task: when the server cannot run it, the warden does, from the start.
    // In 2026-07-28 the server decides: the warden makes a task only of a call that waits for a human.
    if (!this.#modern && !this.#serverRunsTasks() && !mint("Running"))
      return errorResponse(
        id.text,
        INVALID_REQUEST,
        "MCP Warden: too many tasks are open; read or cancel some first",
      );
    const outcome = this.#call(message, abort.signal, {
      forward: () => this.#relayTaskCall(message, task, abort.signal),
      whileWaiting: () => {
        if (task) tasks.update(task.taskId, WAITING_FOR_HUMAN);
        else mint(WAITING_FOR_HUMAN);
        return () => {};
      },
    });
    const settled = outcome.then(
      (o): TaskOutcome => (o.relayed ? outcomeOf(o.relayed) : { result: JSON.stringify(o.refused) }),
      (error: unknown): TaskOutcome => ({
        error: JSON.stringify({
          code: INTERNAL_ERROR,
          message: this.#failed(error),
        }),
      }),
    );
    void settled.then((ended) => {
      if (!task) return;
      tasks.finish(task.taskId, ended);
      this.#tasks.delete(task.taskId);
      this.#release();
      const view = tasks.get(this.grant, task.taskId);
      if (view)
        this.toClient(
          `{"jsonrpc":"2.0","method":"notifications/tasks/status","params":${JSON.stringify(view)}}`,
        );
    });
    const first = await Promise.race([settled.then((ended) => ({ ended })), early]);
    if (typeof first === "string") return first;
    // The call ended before it needed a task: its answer is the plain answer (the server's own task, if any).
    return outcomeAnswer(id.text, first.ended);
  }

  /**
   * Sends a task-augmented call on to the server. Under a warden task it goes without the `task` member,
   * unless the tool requires one: then the server's task is followed to its result with tasks/result.
   */
  async #relayTaskCall(
    message: RawMessage,
    task: TaskView | undefined,
    signal: AbortSignal,
  ): Promise<RawMessage> {
    if (!task) return this.#relay(message, signal);
    if (this.#modern)
      return this.#followServerTask(await this.#relay(message, signal), message, task, signal);
    const name = paramsOf(message).name;
    const tool = this.#upstream.tools.find((t) => t.name === name) as
      | { execution?: { taskSupport?: unknown } }
      | undefined;
    if (tool?.execution?.taskSupport !== "required" || !this.#serverRunsTasks()) {
      const text = withoutMembers(message.text, ["params"], (key) => key === "task");
      return this.#relay(ownMessage(text), signal);
    }
    const created = await this.#relay(message, signal);
    const serverTask = (created.value.result as { task?: { taskId?: unknown } } | undefined)?.task?.taskId;
    if (typeof serverTask !== "string") return created;
    this.#upstream.tasks.update(task.taskId, "Running on the server");
    const text = `{"jsonrpc":"2.0","id":0,"method":"tasks/result","params":{"taskId":${JSON.stringify(serverTask)}}}`;
    return this.#relay(ownMessage(text), signal);
  }

  /**
   * 2026-07-28: a call that waited for a human runs under a task of the warden's. Should the server answer
   * it with a task of its own, the warden's follows it with tasks/get (at the pace the server asks, under
   * the client's envelope) and ends with its result or error, so the client polls one task. The warden's
   * task cancelled cancels the server's; a server task that asks for input is cancelled and says why (the
   * warden does not relay tasks/update for a task it holds).
   */
  async #followServerTask(
    created: RawMessage,
    original: RawMessage,
    task: TaskView,
    signal: AbortSignal,
  ): Promise<RawMessage> {
    const first = created.value.result as {
      resultType?: unknown;
      taskId?: unknown;
      pollIntervalMs?: unknown;
    };
    if (first?.resultType !== "task" || typeof first.taskId !== "string") return created;
    const serverTask = first.taskId;
    this.#upstream.tasks.update(task.taskId, "Running on the server");
    const meta = spanAt(original.text, ["params", "_meta"]);
    const params = `{"taskId":${JSON.stringify(serverTask)},"_meta":${meta ? original.text.slice(meta[0], meta[1]) : "{}"}}`;
    const ask = (method: string, on: AbortSignal) => {
      const text = `{"jsonrpc":"2.0","id":0,"method":${JSON.stringify(method)},"params":${params}}`;
      const request = { ...ownMessage(text), headers: routingHeaders(method, { taskId: serverTask }) };
      return this.#relay(request, on);
    };
    /** Sent on its own: the call ends now whatever the server says to it. */
    const cancelServerTask = () => void ask("tasks/cancel", AbortSignal.timeout(10_000)).catch(() => {});
    const failed = (message: string) =>
      ownMessage(errorResponse("0", INTERNAL_ERROR, `MCP Warden: ${message}`));
    // Between 100 ms and 5 s, as the server asks (1 s when it does not say).
    const pace = (ms: unknown) =>
      typeof ms === "number" && ms > 0 ? Math.min(5_000, Math.max(100, ms)) : 1_000;
    let wait = pace(first.pollIntervalMs);
    for (;;) {
      try {
        await delay(wait, undefined, { signal });
      } catch {
        cancelServerTask();
        throw new UpstreamFailedError("the task was cancelled");
      }
      const got = await ask("tasks/get", signal);
      const view = got.value.result as { status?: unknown; pollIntervalMs?: unknown } | undefined;
      if (!view) return got;
      const part = (key: string) => {
        const span = spanAt(got.text, ["result", key]);
        return span ? got.text.slice(span[0], span[1]) : undefined;
      };
      if (view.status === "completed")
        return ownMessage(`{"jsonrpc":"2.0","id":0,"result":${part("result") ?? "{}"}}`);
      if (view.status === "failed") {
        const error = part("error");
        return error
          ? ownMessage(`{"jsonrpc":"2.0","id":0,"error":${error}}`)
          : failed("the server's task failed");
      }
      if (view.status === "cancelled") return failed("the server cancelled its task for this call");
      if (view.status === "input_required") {
        cancelServerTask();
        return failed(
          "the server's task for this call asks for input, which the warden does not relay for a call it held for approval; the server's task was cancelled",
        );
      }
      wait = pace(view.pollIntervalMs);
    }
  }

  /**
   * tasks/* for the warden's own tasks; null for a request about the server's own tasks (relayed).
   * tasks/list shows the warden's tasks first, then the server's (when it lists tasks).
   */
  async #ownTask(
    method: string,
    message: RawMessage,
    id: RawId,
    signal: AbortSignal,
  ): Promise<string | undefined | null> {
    const tasks = this.#upstream.tasks;
    const params = paramsOf(message);
    if (method === "tasks/list") return this.#modern ? null : this.#listTasks(message, id, signal);
    const taskId = params.taskId;
    if (!tasks.has(this.grant, taskId)) return null;
    if (this.#modern) return this.#modernTaskRequest(method, taskId, id);
    if (method === "tasks/get") return resultResponse(id.text, tasks.get(this.grant, taskId));
    if (method === "tasks/update") return null;
    if (method === "tasks/cancel") {
      const cancelled = tasks.cancel(this.grant, taskId);
      if (!cancelled) return null;
      if (cancelled.ended)
        return errorResponse(
          id.text,
          INVALID_PARAMS,
          `the task has already ended (${cancelled.view.status}) and cannot be cancelled`,
        );
      this.#tasks.delete(taskId);
      return resultResponse(id.text, cancelled.view);
    }
    // tasks/result: waits for the outcome (the client's own request may be cancelled meanwhile).
    const aborted = new Promise<undefined>((resolve) =>
      signal.addEventListener("abort", () => resolve(undefined), { once: true }),
    );
    const outcome = await Promise.race([tasks.outcome(this.grant, taskId), aborted]);
    if (outcome === undefined) return signal.aborted ? undefined : null;
    if (outcome === "cancelled") return errorResponse(id.text, INTERNAL_ERROR, "the task was cancelled");
    return outcomeAnswer(
      id.text,
      "error" in outcome ? outcome : { result: withRelatedTask(outcome.result, taskId) },
    );
  }

  /**
   * The tasks extension (2026-07-28): tasks/get gives the task with its result or error once it has
   * ended; tasks/cancel and tasks/update are acknowledged (the warden's tasks ask the client nothing).
   */
  #modernTaskRequest(method: string, taskId: string, id: RawId): string | null {
    const tasks = this.#upstream.tasks;
    if (method === "tasks/cancel") {
      tasks.cancel(this.grant, taskId);
      this.#tasks.delete(taskId);
      return resultResponse(id.text, {});
    }
    if (method === "tasks/update") return resultResponse(id.text, {});
    if (method !== "tasks/get") return null;
    const view = tasks.get(this.grant, taskId);
    if (!view) return null;
    const ended = tasks.ended(this.grant, taskId);
    const body = JSON.stringify(modernTask(view));
    if (!ended) return `{"jsonrpc":"2.0","id":${id.text},"result":${body}}`;
    const [key, value] = "result" in ended ? ["result", ended.result] : ["error", ended.error];
    return `{"jsonrpc":"2.0","id":${id.text},"result":${body.slice(0, -1)},"${key}":${value}}}`;
  }

  async #listTasks(message: RawMessage, id: RawId, signal: AbortSignal): Promise<string> {
    const own = this.#upstream.tasks.list(this.grant);
    if (this.#serverTasks()?.list === undefined) return resultResponse(id.text, { tasks: own });
    const answer = await this.#relay(message, signal);
    const span = spanAt(answer.text, ["result", "tasks"]);
    // The warden's tasks go on the first page only.
    if (!span || paramsOf(message).cursor !== undefined || own.length === 0) return withId(answer, id.text);
    const theirs = elementSpans(answer.text, span[0]).map(([a, b]) => answer.text.slice(a, b));
    const merged = [...own.map((t) => JSON.stringify(t)), ...theirs];
    return withId({ text: splice(answer.text, span, `[${merged.join(",")}]`), value: answer.value }, id.text);
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
    const bridged = this.#lane?.bridged === true;
    const kept: string[] = [];
    result.tools.forEach((tool, n) => {
      const name = (tool as { name?: unknown } | null)?.name;
      const s = spans[n];
      if (typeof name !== "string" || !s) return;
      if (known && !known.has(name)) return;
      // Speaking 2026-07-28 for the client, the warden leaves out what such a client must (x-mcp-header).
      if (bridged && headerAnnotationProblem((tool as { inputSchema?: unknown }).inputSchema)) return;
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
    if (!this.#modern) {
      for (const taskId of this.#tasks)
        this.#upstream.tasks.cancel(this.grant, taskId, "The client's session ended before the task did");
      this.#tasks.clear();
    }
    for (const ask of this.#asks.values()) ask.reject(new Error("the client session has ended"));
    this.#asks.clear();
    this.#release();
  }

  /** Whether the session's lane is still needed after its end: tasks or a call still under way. */
  #held(): boolean {
    return this.#tasks.size > 0 || this.#continuation !== undefined;
  }

  /** Lets go of the lane once the session has ended and nothing holds it. */
  #release(): void {
    if (this.#closed && !this.#held()) this.#lane?.detach(this, LANE_IDLE_MS);
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

/** A tools/call with a `task` member: the client asks to run it as a task. */
function isTaskAugmented(message: RawMessage): boolean {
  const task = paramsOf(message).task;
  return task !== null && typeof task === "object" && !Array.isArray(task);
}

/** The initialize answer offering tasks for tool calls (the server's own task capabilities kept). */
function announceTasks(init: RawMessage): RawMessage {
  const result = init.value.result as { capabilities?: { tasks?: Record<string, unknown> } } | undefined;
  if (!result?.capabilities) return init;
  const theirs = result.capabilities.tasks ?? {};
  const requests = (theirs.requests ?? {}) as Record<string, unknown>;
  const tasks = {
    ...theirs,
    ...TASKS_CAPABILITY,
    requests: { ...requests, tools: { ...((requests.tools as object) ?? {}), call: {} } },
  };
  const path = ["result", "capabilities"];
  const span = spanAt(init.text, [...path, "tasks"]);
  const text = span
    ? splice(init.text, span, JSON.stringify(tasks))
    : withMember(init.text, path, "tasks", JSON.stringify(tasks));
  return { text, value: init.value };
}

/** A task's result with the `_meta` that names its task (as tasks/result answers carry). */
function withRelatedTask(resultText: string, taskId: string): string {
  const related = `{"taskId":${JSON.stringify(taskId)}}`;
  const meta = spanAt(resultText, ["_meta"]);
  if (!meta) return withMember(resultText, [], "_meta", `{${JSON.stringify(RELATED_TASK)}:${related}}`);
  if (spanAt(resultText, ["_meta", RELATED_TASK])) return resultText;
  return withMember(resultText, ["_meta"], RELATED_TASK, related);
}

/** `text` with a member added first to the object at `path`. */
function withMember(text: string, path: readonly string[], key: string, json: string): string {
  const span = spanAt(text, path);
  if (!span || text.charCodeAt(span[0]) !== 0x7b) return text;
  const open = span[0] + 1;
  const empty = /^\s*\}/.test(text.slice(open));
  return `${text.slice(0, open)}${JSON.stringify(key)}:${json}${empty ? "" : ","}${text.slice(open)}`;
}

/** A task in the 2026-07-28 extension's words (`ttlMs`, `pollIntervalMs`). */
function modernTask(view: TaskView): Record<string, unknown> {
  const { ttl, pollInterval, ...rest } = view;
  return { ...rest, ttlMs: ttl, pollIntervalMs: pollInterval };
}

/** A tool call's identity for a retry to repeat: its tool and its arguments (canonical). */
function callKey(message: RawMessage): string {
  const params = paramsOf(message);
  return canonicalJson({ name: params.name, arguments: params.arguments ?? {} });
}

/** The answer to a request from what became of its call: the server's answer, or the warden's refusal. */
function answerOf(outcome: CallOutcomeOf, idText: string): string {
  return outcome.relayed ? withId(outcome.relayed, idText) : resultResponse(idText, outcome.refused);
}

/** The answer carrying a task's outcome (its result or error as written). */
function outcomeAnswer(idText: string, outcome: TaskOutcome): string {
  return "result" in outcome
    ? `{"jsonrpc":"2.0","id":${idText},"result":${outcome.result}}`
    : `{"jsonrpc":"2.0","id":${idText},"error":${outcome.error}}`;
}
