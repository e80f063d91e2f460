/**
 * The warden: the core that every shell (CLI, Electron) runs. It owns the running policy, the counters,
 * the approval broker, the call log and the upstreams, and decides every tools/call in the order the
 * design states. Fail closed: any error on the way to a decision refuses the call and says why.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  CLIENTS,
  type ClientId,
  type ClientSnippet,
  type FoundConfig,
  type UnwrapResult,
  type WrapResult,
} from "../../shared/clients.js";
import {
  type ApprovalEnd,
  type AuditDiskState,
  type CallRecord,
  type CallStatus,
  DENIAL_PREFIX,
  type Decision,
  type PendingApproval,
  type PolicyState,
  type ReplayChange,
  type ServerStatus,
  verdictOfStatus,
  type WardenEvents,
  type WardenHandlers,
  type WardenState,
} from "../../shared/contract.js";
import { DURATION_PATTERN, durationMs } from "../../shared/durations.js";
import { type PolicyError, policyJsonSchema } from "../../shared/policy-schema.js";
import { ApprovalBroker } from "./approvals/broker.js";
import { pendingCapReason } from "./approvals/pending-cap.js";
import { CallLog, type OutcomeLine } from "./audit/call-log.js";
import { auditDiskState } from "./audit/disk-warning.js";
import { auditOptionsFromSettings } from "./audit/options.js";
import { AuditFullError } from "./audit/store.js";
import { callHash, canonicalJson } from "./canonical.js";
import type { Grants } from "./clients/grants.js";
import { formatJson } from "./clients/jsonc.js";
import { writeFileAtomic } from "./config/data-dir.js";
import type { ServerConfig, ServersFile } from "./config/servers-config.js";
import type { SettingsStore } from "./config/settings.js";
import { type Unwatch, watchFile } from "./config/watch.js";
import { Emitter } from "./emitter.js";
import {
  type CompiledPolicy,
  type CompileOptions,
  loadPolicy,
  routesFor,
  rulesFor,
} from "./policy/compile.js";
import {
  type CountedLimit,
  type DecideContext,
  type DecisionWithCounts,
  decide,
  isGovernedRequest,
  type LimitView,
  type ToolStanding,
} from "./policy/decide.js";
import { MIN_RETENTION_MS, RateLimiter } from "./policy/limits.js";
import { ToolPins } from "./policy/pins.js";
import { callTargets, riskOf } from "./policy/risk.js";
import { starterPolicy } from "./policy/starter-policy.js";
import type { CallGate, CallOutcomeOf, IncomingCall } from "./proxy/gate.js";
import { NotSentError } from "./proxy/lane.js";
import { spanAt } from "./proxy/raw-json.js";
import { toolErrorText, toolFailed } from "./proxy/tool-outcome.js";
import { Upstream } from "./proxy/upstream.js";
import { needsTeam, teamGate } from "./team/gate.js";
import type { TeamSlots } from "./team/limits.js";
import { NO_TEAM, type Team } from "./team/team.js";
import { wireTeam } from "./team/wire.js";
import type { UpstreamSignIn } from "./upstream-auth/sign-in.js";

/** Finding and wrapping MCP client configs, as the runtime provides it. */
export interface ClientsService {
  find(): FoundConfig[];
  /** Each client's config snippet for `server` (see clients/snippets.ts). */
  snippets(server: string): ClientSnippet[];
  wrap(client: ClientId, path?: string): WrapResult;
  unwrap(client: ClientId, path?: string): UnwrapResult;
}

/** How the warden is set up. */
export interface WardenOptions {
  policyPath: string;
  servers: ServersFile;
  auditPath: string;
  settings: SettingsStore;
  /** The client grants the HTTP server accepts, managed through the contract. */
  grants?: Grants;
  /** Where tool pins are kept; without it tools are not pinned. */
  pinsPath?: string;
  /** Calls kept in memory for the UI. */
  ringSize?: number;
  /** Base URL of the downstream endpoints, once the HTTP server knows its port. */
  endpointBase?: string;
  /** The team this warden belongs to (team-wide limits, Deny-all and approvals); none without it. */
  team?: Team;
  /** OAuth sign-in toward URL servers that want it; without it such servers stay refused. */
  signIn?: UpstreamSignIn;
  /**
   * Start resolves without waiting for the upstreams' first connection attempts (the tray app: its port
   * opens at once and a client's first request waits for its server); `firstAttempts` says when they end.
   */
  connectInBackground?: boolean;
  now?: () => number;
}

const APPROVAL_STATUS: Record<ApprovalEnd, CallStatus> = {
  approved: "approved",
  denied: "rejected",
  "timed-out": "timed-out",
  cancelled: "cancelled",
  "deny-all": "rejected",
};

const APPROVAL_REASON: Record<Exclude<ApprovalEnd, "approved">, string> = {
  denied: "a human denied this call",
  "timed-out": "no one approved this call in time",
  cancelled: "the client cancelled the call while it waited for approval",
  "deny-all": "Deny-all was turned on while this call waited for approval",
};

/** Why a call is refused when the audit log cannot be written. */
const AUDIT_DOWN = "the audit log cannot be written, so nothing is forwarded";

/** How often, at most, calls make the warden look at the audit log's disk (a statfs). */
const DISK_CHECK_MS = 1_000;
/** How far back "such calls from this client" are counted for the approval prompt. */
const RECENT_WINDOW_MS = 60_000;

/** A limit view with room for every call: for deciding again a call that already holds its slots. */
const NO_LIMITS: LimitView = { waitFor: () => 0 };

/** The result a refused call gets: an error the agent can read, naming the rule and the reason. */
export function denialResult(tool: string, decision: Pick<Decision, "rule" | "reason">): CallToolResult {
  return {
    isError: true,
    content: [
      { type: "text", text: `${DENIAL_PREFIX} to ${tool}: ${decision.reason} [rule: ${decision.rule}]` },
    ],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The core. */
export class Warden implements CallGate {
  readonly events = new Emitter<WardenEvents>();
  readonly upstreams = new Map<string, Upstream>();
  readonly broker: ApprovalBroker;
  readonly limiter = new RateLimiter();
  readonly log: CallLog;
  readonly pins: ToolPins | undefined;
  readonly team: Team | undefined;
  readonly #options: WardenOptions;
  readonly #now: () => number;
  #policy: CompiledPolicy;
  #policyText: string;
  #policyLoadedAt: number;
  #fileErrors: PolicyError[] = [];
  #unwatch: Unwatch | undefined;
  #endpointBase: string;
  /** Standing approvals: client + call hash → until when the same call from that client goes through. */
  readonly #standing = new Map<string, number>();
  /** The audit disk warning last announced, and when the disk was last looked at. */
  #diskWarning: AuditDiskState["warning"];
  #diskCheckedAt = Number.NEGATIVE_INFINITY;
  #clients: ClientsService | undefined;
  #firstAttempts: Promise<void> = Promise.resolve();
  /** Deny-all, read from the settings once and written through: every call reads it. */
  #denyAll: boolean;

  /** Builds a warden from a policy that has already been read and compiled. */
  private constructor(options: WardenOptions, policy: CompiledPolicy, text: string) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#policy = policy;
    this.#policyText = text;
    this.#policyLoadedAt = this.#now();
    this.#endpointBase = options.endpointBase ?? "";
    this.#denyAll = options.settings.get("denyAll") === true;
    this.broker = new ApprovalBroker(this.#now);
    // The audit's bounds come from settings.json ("audit": maxMB, maxFileMB, rotateAfter, keepFor, whenFull).
    this.log = new CallLog(options.auditPath, options.ringSize, auditOptionsFromSettings(options.settings));
    this.pins = options.pinsPath ? new ToolPins(options.pinsPath, this.#now) : undefined;
    options.grants?.onChange((grants) => this.events.emit("grants", grants));
    this.limiter.setRetention(policy.longestWindowMs);
    this.broker.on("added", (approval) => this.events.emit("approvalAdded", approval));
    this.broker.on("ended", ({ approval, end }) =>
      this.events.emit("approvalEnded", { id: approval.id, callId: approval.callId, end }),
    );
    for (const [name, config] of Object.entries(options.servers.mcpServers)) this.#addUpstream(name, config);
    this.team = options.team;
    if (this.team)
      wireTeam(this.team, {
        broker: this.broker,
        events: this.events,
        denyAll: () => this.denyAll,
        note: (line) => {
          try {
            this.log.note(line);
          } catch (error) {
            process.emitWarning(`audit log write failed: ${errorText(error)}`);
          }
        },
      });
    if (options.signIn)
      options.signIn.onChanged = (name) => {
        const upstream = this.upstreams.get(name);
        this.events.emit("servers", this.servers());
        void upstream?.reconnect();
      };
  }

  #addUpstream(name: string, config: ServerConfig): Upstream {
    const hook = config.url ? this.#options.signIn?.forServer(name, config.url, config.oauth) : undefined;
    const upstream = new Upstream(name, config, hook);
    upstream.on("state", () => this.events.emit("servers", this.servers()));
    const review = (tools: readonly Tool[], sameSighting: boolean) => {
      if (this.pins?.review(name, tools, sameSighting)) this.events.emit("toolChanges", this.pins.changes());
      this.events.emit("servers", this.servers());
    };
    upstream.on("toolsChanged", (tools) => review(tools, false));
    upstream.on("otherEraTools", (tools) => review(tools, true));
    this.upstreams.set(name, upstream);
    return upstream;
  }

  /**
   * Applies an edited servers file without a restart: new servers start, removed ones stop, changed ones
   * restart with their new settings (their clients' sessions end, and clients open new ones).
   */
  async updateServers(servers: ServersFile): Promise<void> {
    const wanted = servers.mcpServers;
    const stopping: Promise<void>[] = [];
    for (const [name, upstream] of this.upstreams) {
      const config = wanted[name];
      if (config && canonicalJson(config) === canonicalJson(upstream.config)) continue;
      this.upstreams.delete(name);
      stopping.push(upstream.stop());
    }
    await Promise.all(stopping);
    const starting = Object.entries(wanted)
      .filter(([name]) => !this.upstreams.has(name))
      .map(([name, config]) => this.#addUpstream(name, config).start());
    this.events.emit("servers", this.servers());
    await Promise.all(starting);
  }

  /**
   * Reads the policy (refusing to start on an invalid one), replays the audit log into the counters,
   * starts the upstreams and watches the policy file.
   */
  static async start(options: WardenOptions): Promise<Warden> {
    const text = readFileSync(options.policyPath, "utf8");
    const compiled = loadPolicy(text, compileOptions(options.settings));
    if (!compiled.ok) {
      const lines = compiled.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n");
      throw new Error(`policy ${options.policyPath} is invalid:\n${lines}`);
    }
    const warden = new Warden(options, compiled.policy, text);
    const now = warden.#now();
    const replay = await warden.log.open(now - Math.max(compiled.policy.longestWindowMs, MIN_RETENTION_MS));
    for (const call of replay.counted) warden.limiter.restore(call.keys, call.at);
    // An upstream records its own failures (state, last error) and retries: nothing to report here.
    warden.#firstAttempts = Promise.all([...warden.upstreams.values()].map((u) => u.start())).then(
      () => undefined,
      () => undefined,
    );
    if (!options.connectInBackground) await warden.#firstAttempts;
    warden.#watchPolicy();
    return warden;
  }

  /** Resolves once every upstream's first connection attempt at start has ended (connected or not). */
  firstAttempts(): Promise<void> {
    return this.#firstAttempts;
  }

  /** Gives the warden what it needs to find and wrap MCP client configs (known once the HTTP server listens). */
  setClients(clients: ClientsService): void {
    this.#clients = clients;
  }

  #clientAction<R>(client: string, action: () => R | undefined): { ok: boolean; result?: R; error?: string } {
    if (!(CLIENTS as readonly string[]).includes(client))
      return { ok: false, error: `client must be one of ${CLIENTS.join(", ")}` };
    try {
      const result = action();
      return result === undefined
        ? { ok: false, error: "client configs are not managed here" }
        : { ok: true, result };
    } catch (error) {
      return { ok: false, error: errorText(error) };
    }
  }

  /** The OAuth sign-in toward upstreams, when this warden has one. */
  get signIn(): UpstreamSignIn | undefined {
    return this.#options.signIn;
  }

  /** Sets the base URL shown as each server's endpoint (known once the HTTP server listens). */
  setEndpointBase(base: string): void {
    this.#endpointBase = base;
    this.#options.signIn?.setCallbackBase(base);
  }

  get policy(): CompiledPolicy {
    return this.#policy;
  }

  /** This warden's own Deny-all, or the team's. */
  get denyAll(): boolean {
    return this.#denyAll || this.team?.denyAll.on === true;
  }

  /**
   * Turns the kill switch on or off. It takes effect in memory first — on, every new call and every pending
   * approval is refused at once — and only then is persisted: a failed write (a full disk, no descriptors
   * left) is reported, never a reason for the switch not to move. A switch turned off whose write failed is
   * on again after a restart (fail closed).
   */
  setDenyAll(on: boolean): { denyAll: boolean; error?: string } {
    const changed = on !== this.#denyAll;
    this.#denyAll = on;
    if (on) this.broker.denyAll();
    if (!changed) return { denyAll: on };
    this.events.emit("denyAll", { on: this.denyAll });
    try {
      this.#options.settings.set("denyAll", on);
      return { denyAll: on };
    } catch (error) {
      const message = `Deny-all is ${on ? "on" : "off"} now, but the setting could not be saved (${errorText(error)}): ${on ? "it will be off after a restart" : "it will be on again after a restart"}`;
      process.emitWarning(message);
      return { denyAll: on, error: message };
    }
  }

  /** The core's state at a glance (the tray's status line). */
  state(): WardenState {
    return {
      denyAll: this.denyAll,
      servers: this.servers(),
      pending: this.approvals(),
      callsToday: this.log.callsOnDayOf(this.#now()),
      auditDisk: this.#auditDisk(),
    };
  }

  /** The audit log's disk state now; an `auditDisk` event goes out when its warning changes. */
  #auditDisk(): AuditDiskState {
    const state = auditDiskState(this.log.diskUsage(), dirname(this.#options.auditPath));
    this.#diskCheckedAt = this.#now();
    if (state.warning !== this.#diskWarning) {
      this.#diskWarning = state.warning;
      this.events.emit("auditDisk", state);
    }
    return state;
  }

  /** Looks at the log's disk after a write, at most once per DISK_CHECK_MS (a failed write looks at once). */
  #checkDisk(failed: boolean): void {
    if (failed || this.#now() - this.#diskCheckedAt >= DISK_CHECK_MS) this.#auditDisk();
  }

  /** Every upstream's status. */
  servers(): ServerStatus[] {
    return [...this.upstreams.values()].map((u) => u.status(`${this.#endpointBase}/mcp/${u.name}`));
  }

  /** Whether tools/list shows a tool: hidden only when the policy denies it whatever the arguments. */
  isToolVisible(server: string, tool: string): boolean {
    if (this.pins?.isHeld(server, tool)) return false;
    const policy = this.#policy;
    for (const route of routesFor(policy, tool)) {
      if (route.server !== undefined && route.server !== server) continue;
      for (const key of [`${server}/${route.operation}`, route.operation]) {
        if (rulesFor(policy, key)?.some((r) => r.action !== "deny")) return true;
      }
    }
    for (const key of [`${server}/${tool}`, tool, `${server}/*`, "*"]) {
      const rules = rulesFor(policy, key);
      if (!rules) continue;
      if (rules.some((r) => r.action !== "deny")) return true;
      if (rules.some((r) => r.matches(undefined) && r.matches({}))) return false;
    }
    return policy.defaultRule.action !== "deny";
  }

  /** Decides and, when allowed, forwards one tools/call. Never throws for a refusal; never hangs. */
  async handleCall(call: IncomingCall): Promise<CallOutcomeOf> {
    const started = this.#now();
    const id = randomUUID();
    let decision: DecisionWithCounts;
    try {
      decision = decide(this.#policy, call, this.#context(this.limiter, started));
    } catch (error) {
      decision = {
        verdict: "deny",
        rule: "error",
        reason: `the policy could not decide: ${errorText(error)}`,
        denial: "error",
        counterKeys: [],
      };
    }
    // The team's part (team-wide slots, a reachable team) is taken before anything is logged or waits.
    let teamSlots: TeamSlots | undefined;
    if (needsTeam(decision)) {
      const gate = await teamGate(this.team, decision, id, this.#policy.longestWindowMs);
      decision = gate.decision;
      teamSlots = gate.slots;
    }
    const record: CallRecord = {
      id,
      ts: started,
      client: call.grant,
      session: call.session,
      server: call.server,
      tool: call.tool,
      ...(call.method ? { method: call.method } : {}),
      args: call.args,
      status:
        decision.verdict === "deny"
          ? decision.denial === "limit"
            ? "rate-limited"
            : "denied"
          : decision.verdict === "approve"
            ? "awaiting-approval"
            : "allowed",
      rule: decision.rule,
      reason: decision.reason,
      ...(decision.operation ? { operation: decision.operation } : {}),
    };

    if (decision.verdict === "deny") {
      record.latencyMs = this.#now() - started;
      this.#writeDecision(record, [], call.argsText);
      return { refused: denialResult(call.tool, decision) };
    }

    // Reserve before anything can wait, so concurrent calls never over-admit.
    const reservation = this.limiter.reserve(decision.counterKeys, started);
    /** Gives back every slot the call holds, here and on the team's Redis. */
    const release = (): void => {
      this.limiter.release(reservation);
      if (teamSlots) this.team?.release(teamSlots);
    };
    /** When the call started waiting for a human, and how long it waited once answered. */
    let waitStarted: number | undefined;
    const waited = (): { waitedMs?: number } =>
      waitStarted === undefined ? {} : { waitedMs: this.#now() - waitStarted };
    /** Refuses the call after its decision was logged: its slots go back and the log says why. */
    const refuse = (status: CallStatus, rule: string, reason: string, answeredBy?: string): CallOutcomeOf => {
      release();
      this.#writeOutcome({
        id,
        status,
        released: true,
        latencyMs: this.#now() - started,
        ...waited(),
        error: reason,
        ...(answeredBy ? { answeredBy } : {}),
      });
      return { refused: denialResult(call.tool, { rule, reason }) };
    };
    /** Refuses the call because the audit log cannot be written: nothing is forwarded unaudited. */
    const unaudited = (reason: string): CallOutcomeOf => {
      release();
      return { refused: denialResult(call.tool, { rule: decision.rule, reason }) };
    };
    const notWritten = this.#writeDecision(record, decision.counterKeys, call.argsText);
    if (notWritten) return unaudited(notWritten);

    const noRoom =
      decision.verdict === "approve" ? pendingCapReason(this.broker.list(), call.grant) : undefined;
    if (noRoom) return refuse("rejected", decision.rule, noRoom);
    if (decision.verdict === "approve") {
      const standing = this.#standing.get(
        standingKey(call.grant, callHash(call.server, call.tool, call.args)),
      );
      const standsApproved = standing !== undefined && standing > this.#now();
      const stopWaiting = standsApproved ? undefined : call.whileWaiting?.();
      if (!standsApproved) waitStarted = this.#now();
      const end: ApprovalEnd = standsApproved
        ? "approved"
        : await this.broker.request({
            callId: id,
            client: call.grant,
            ...(call.clientName ? { clientName: call.clientName } : {}),
            server: call.server,
            tool: call.tool,
            ...(decision.operation ? { operation: decision.operation } : {}),
            args: call.args,
            rule: decision.rule,
            reason: decision.reason,
            ...this.#approvalContext(call, decision.operation, decision.counted ?? [], started),
            timeoutMs: decision.approvalTimeoutMs ?? 120_000,
            ...(call.signal ? { signal: call.signal } : {}),
            ...(decision.teamApproval && this.team?.connected
              ? { team: { requester: this.team.member, othersOnly: decision.teamApproval.others } }
              : {}),
          });
      stopWaiting?.();
      const answeredBy = this.team?.takeAnswerer(id);
      if (end !== "approved")
        return refuse(
          APPROVAL_STATUS[end],
          decision.rule,
          end === "denied" && answeredBy ? `${answeredBy} (team) denied this call` : APPROVAL_REASON[end],
          answeredBy,
        );
      // The policy, Deny-all or a tool's pin may have changed while the call waited: decide again (the
      // call already holds its slots, so limits are not counted twice).
      const now = decide(this.#policy, call, this.#context(NO_LIMITS, this.#now()));
      if (now.verdict === "deny")
        return refuse("denied", now.rule, `approved, but refused by now: ${now.reason}`);
      if (!this.#writeOutcome({ id, status: "approved", ...waited(), ...(answeredBy ? { answeredBy } : {}) }))
        return unaudited(AUDIT_DOWN);
    }
    return this.#forward(call, id, started, release);
  }

  /** Pending approvals: this warden's, then teammates' offered to the team. */
  approvals(): PendingApproval[] {
    return [...this.broker.list(), ...(this.team?.remoteApprovals() ?? [])];
  }

  /**
   * What a human is shown besides the call: its risk, what it acts on, what its limits leave, and how many
   * such calls this client made in the last minute.
   */
  #approvalContext(
    call: IncomingCall,
    operation: string | undefined,
    counted: readonly CountedLimit[],
    now: number,
  ): Pick<PendingApproval, "risk" | "targets" | "limits" | "recent"> {
    const tool = this.upstreams.get(call.server)?.tools.find((t) => t.name === call.tool);
    const risk = riskOf(tool ?? { name: call.tool }, call.args);
    // The call's own slot is reserved by now, so each count includes it.
    const limits = counted.map(({ key, limit }) => ({
      counter: limit.counter,
      window: limit.window,
      max: limit.max,
      scope: limit.scope,
      used: this.limiter.count(key, limit.windowMs, now),
    }));
    // The call's own decision is in the log by now, so the count includes it.
    const what = operation ?? call.tool;
    const calls = this.log.countSince(
      now - RECENT_WINDOW_MS,
      (r) => r.client === call.grant && r.server === call.server && (r.operation ?? r.tool) === what,
    );
    return {
      risk,
      targets: callTargets(risk, call.args),
      ...(limits.length ? { limits } : {}),
      recent: { calls, window: "minute" },
    };
  }

  /** What every decision is made with: the live path, the re-decision after approval and dry runs alike. */
  #context(limits: LimitView, now: number): DecideContext {
    return { denyAll: this.denyAll, limits, now, tools: this.#toolStanding };
  }

  /** A tool the user has not accepted, or one the (connected) server does not offer. */
  readonly #toolStanding: ToolStanding = (server, tool) => {
    if (this.pins?.isHeld(server, tool)) return "held";
    const upstream = this.upstreams.get(server);
    if (upstream?.state === "connected" && !upstream.tools.some((t) => t.name === tool)) return "unknown";
    return undefined;
  };

  async #forward(
    call: IncomingCall,
    id: string,
    started: number,
    release: () => void,
  ): Promise<CallOutcomeOf> {
    let forwarded: number | undefined;
    try {
      if (!this.upstreams.has(call.server))
        throw new NotSentError(`no upstream server named "${call.server}"`);
      forwarded = this.#now();
      const answer = await call.forward();
      const error = answer.value.error as { message?: unknown } | undefined;
      const result = answer.value.result as Partial<CallToolResult> | undefined;
      const toolError = result !== undefined && toolFailed(result);
      this.#writeOutcome({
        id,
        outcome: error !== undefined ? "upstream-error" : toolError ? "tool-error" : "ok",
        latencyMs: this.#now() - started,
        upstreamMs: this.#now() - forwarded,
        ...(error !== undefined
          ? { error: String(error.message ?? "error") }
          : toolError
            ? { error: toolErrorText(result) }
            : {}),
      });
      // The result's own text, as the server sent it: the UI shows it, and it need not be made again.
      const span = result !== undefined ? spanAt(answer.text, ["result"]) : undefined;
      this.log.setResult(id, result ?? { error }, span ? answer.text.slice(span[0], span[1]) : undefined);
      return { relayed: answer };
    } catch (error) {
      const unreachable = error instanceof NotSentError;
      if (unreachable) release();
      this.#writeOutcome({
        id,
        outcome: "upstream-error",
        latencyMs: this.#now() - started,
        ...(forwarded !== undefined ? { upstreamMs: this.#now() - forwarded } : {}),
        error: errorText(error),
        ...(unreachable ? { released: true } : {}),
      });
      throw error;
    }
  }

  /** Writes a call's decision; says why when it could not be written (then nothing may be forwarded). */
  #writeDecision(record: CallRecord, counterKeys: readonly string[], argsText?: string): string | undefined {
    try {
      this.events.emit("call", { ...this.log.decision(record, counterKeys, argsText) });
      this.#checkDisk(false);
      return undefined;
    } catch (error) {
      this.#checkDisk(true);
      process.emitWarning(`audit log write failed: ${errorText(error)}`);
      // A log at its disk bound says so (and what to do); any other failure is the generic refusal.
      return error instanceof AuditFullError ? `${errorText(error)}; nothing is forwarded` : AUDIT_DOWN;
    }
  }

  #writeOutcome(line: Omit<OutcomeLine, "t" | "ts">): boolean {
    try {
      const record = this.log.outcome({ ts: this.#now(), ...line });
      if (record) this.events.emit("call", { ...record });
      return true;
    } catch (error) {
      process.emitWarning(`audit log write failed: ${errorText(error)}`);
      return false;
    }
  }

  /** Applies policy text if valid; the running policy is untouched otherwise. */
  applyPolicy(text: string): { ok: boolean; errors: PolicyError[] } {
    const compiled = loadPolicy(text, compileOptions(this.#options.settings));
    if (!compiled.ok) return { ok: false, errors: compiled.errors };
    this.#install(compiled.policy, text);
    return { ok: true, errors: [] };
  }

  /** Validates, writes atomically and applies policy text. An invalid policy is neither written nor applied. */
  savePolicy(text: string): { ok: boolean; errors: PolicyError[] } {
    const compiled = loadPolicy(text, compileOptions(this.#options.settings));
    if (!compiled.ok) return { ok: false, errors: compiled.errors };
    writeFileAtomic(this.#options.policyPath, text);
    this.#install(compiled.policy, text);
    return { ok: true, errors: [] };
  }

  #install(policy: CompiledPolicy, text: string): void {
    this.#policy = policy;
    this.#policyText = text;
    this.#policyLoadedAt = this.#now();
    this.#fileErrors = [];
    this.limiter.setRetention(policy.longestWindowMs);
    this.events.emit("policy", { loadedAt: this.#policyLoadedAt, fileErrors: [] });
  }

  /** Applies changed settings (Deny-all, the default approval timeout) made behind the warden's back. */
  refreshSettings(): void {
    this.setDenyAll(this.#options.settings.get("denyAll") === true);
    this.applyPolicy(this.#policyText);
  }

  /** Re-reads the policy file; an invalid edit keeps the last good policy and is reported. */
  reloadPolicyFile(): { ok: boolean; errors: PolicyError[] } {
    let text: string;
    try {
      text = readFileSync(this.#options.policyPath, "utf8");
    } catch (error) {
      return this.#refuseFile([
        { path: "(file)", message: `cannot read the policy file: ${errorText(error)}` },
      ]);
    }
    if (text === this.#policyText && this.#fileErrors.length === 0) return { ok: true, errors: [] };
    const result = this.applyPolicy(text);
    return result.ok ? result : this.#refuseFile(result.errors);
  }

  #refuseFile(errors: PolicyError[]): { ok: boolean; errors: PolicyError[] } {
    this.#fileErrors = errors;
    process.stderr.write(
      `mcp-warden: policy file ${this.#options.policyPath} is invalid; the last good policy stays in force:\n${errors
        .map((e) => `  ${e.path}: ${e.message}\n`)
        .join("")}`,
    );
    this.events.emit("policy", { loadedAt: this.#policyLoadedAt, fileErrors: errors });
    return { ok: false, errors };
  }

  #watchPolicy(): void {
    this.#unwatch = watchFile(this.#options.policyPath, () => this.reloadPolicyFile(), "the policy file");
  }

  /** The running policy's state. */
  policyState(): PolicyState {
    return {
      path: this.#options.policyPath,
      text: this.#policyText,
      loadedAt: this.#policyLoadedAt,
      fileErrors: this.#fileErrors,
    };
  }

  /** Stops watching, denies pending approvals, stops the upstreams and closes the log. */
  async close(): Promise<void> {
    this.#unwatch?.();
    for (const approval of this.broker.list()) this.broker.deny(approval.id);
    await Promise.all([...this.upstreams.values()].map((u) => u.stop()));
    this.log.close();
  }

  /** The contract's methods, implemented on the core; both bridges call these. */
  readonly methods: WardenHandlers = {
    getState: () => this.state(),
    listCalls: ({ limit, before }) => {
      const n = Math.min(Math.max(1, limit ?? 500), 5_000);
      return before ? this.log.olderThan(before, n) : this.log.recent(n);
    },
    listApprovals: () => this.approvals(),
    approve: ({ id, callHash: shown, forMinutes }) => {
      const teamAnswer = this.team?.answer(id, "approve", shown);
      if (teamAnswer) return teamAnswer;
      if (
        forMinutes !== undefined &&
        !(Number.isInteger(forMinutes) && forMinutes >= 1 && forMinutes <= 480)
      ) {
        return { ok: false, error: "forMinutes must be a whole number from 1 to 480" };
      }
      const pending = this.broker.list().find((a) => a.id === id);
      const result = this.broker.approve(id, shown);
      if (result.ok && pending && forMinutes !== undefined) {
        const now = this.#now();
        for (const [hash, until] of this.#standing) if (until <= now) this.#standing.delete(hash);
        this.#standing.set(standingKey(pending.client, pending.callHash), now + forMinutes * 60_000);
      }
      return result;
    },
    getCall: ({ id }) => {
      const call = this.log.get(id);
      return call ? { call: { ...call }, result: this.log.resultOf(id) } : {};
    },
    listGrants: () => this.#options.grants?.list() ?? [],
    createGrant: ({ name }) => {
      const created = this.#options.grants?.create(name) ?? {
        ok: false,
        error: "grants are not managed here",
      };
      return created.ok ? { ok: true, grant: created.grant } : created;
    },
    revokeGrant: ({ name }) =>
      this.#options.grants?.revoke(name) ?? { ok: false, error: "grants are not managed here" },
    deny: ({ id }) => this.team?.answer(id, "deny") ?? this.broker.deny(id),
    setDenyAll: ({ on }) => this.setDenyAll(on === true),
    listServers: () => this.servers(),
    getPolicy: () => this.policyState(),
    validatePolicy: ({ text }) => {
      const compiled = loadPolicy(text);
      return { errors: compiled.ok ? [] : compiled.errors };
    },
    savePolicy: ({ text }) => this.savePolicy(text),
    dryRun: (params) => {
      let policy = this.#policy;
      if (params.policy !== undefined) {
        const compiled = loadPolicy(params.policy, compileOptions(this.#options.settings));
        if (!compiled.ok) return { errors: compiled.errors };
        policy = compiled.policy;
      }
      const {
        counterKeys: _keys,
        counted: _counted,
        teamLimits: _team,
        teamApproval: _offer,
        ...decision
      } = decide(
        policy,
        {
          server: params.server,
          tool: params.method ?? params.tool,
          ...(params.method ? { method: params.method } : {}),
          args: params.args ?? {},
          grant: params.client ?? "dry-run",
          session: "dry-run",
        },
        this.#context(this.limiter, this.#now()),
      );
      return { decision, errors: [] };
    },
    policySchema: () => policyJsonSchema(),
    findClients: () => this.#clients?.find() ?? [],
    wrapClient: ({ client, path }) => this.#clientAction(client, () => this.#clients?.wrap(client, path)),
    unwrapClient: ({ client, path }) => this.#clientAction(client, () => this.#clients?.unwrap(client, path)),
    clientSnippets: ({ server }) => {
      if (!this.upstreams.has(server)) return { snippets: [], error: `no server named "${server}"` };
      if (!this.#clients) return { snippets: [], error: "client configs are not available here" };
      return { snippets: this.#clients.snippets(server) };
    },
    starterPolicy: ({ server }) => {
      const upstream = this.upstreams.get(server);
      if (!upstream) return { error: `no server named "${server}"` };
      if (upstream.state !== "connected")
        return { error: `server "${server}" is not connected (${upstream.state})` };
      return { text: formatJson(starterPolicy(server, upstream.tools).policy) };
    },
    signInServer: ({ server }) =>
      this.#options.signIn?.start(String(server)) ?? { ok: false, error: "sign-in is not available here" },
    signOutServer: ({ server }) =>
      this.#options.signIn?.signOut(String(server)) ?? { ok: false, error: "sign-in is not available here" },
    listToolChanges: () => this.pins?.changes() ?? [],
    acceptToolChange: ({ server, tool }) => {
      if (!this.pins?.accept(server, tool))
        return { ok: false, error: "no held tool with that server and name" };
      this.events.emit("toolChanges", this.pins.changes());
      return { ok: true };
    },
    getTeam: () => this.team?.status() ?? NO_TEAM,
    setTeamDenyAll: ({ on }) =>
      this.team?.setDenyAll(on === true) ?? { ok: false, error: "this warden belongs to no team" },
    replay: ({ policy, limit, since }) => {
      const compiled = loadPolicy(policy, compileOptions(this.#options.settings));
      if (!compiled.ok) return { changed: [], total: 0, errors: compiled.errors };
      const calls = this.log
        .recent(Math.min(Math.max(1, limit ?? 1_000), 5_000))
        .filter((c) => since === undefined || c.ts >= since)
        .reverse();
      return { ...replayCalls(compiled.policy, calls), errors: [] };
    },
  };
}

/**
 * Decides recorded calls again, oldest first, under another policy, with counters of their own (so limits
 * play out as they would have), and lists the calls whose verdict changes. Calls refused by Deny-all or by
 * tool pinning are left out: no policy edit changes them.
 */
export function replayCalls(
  policy: CompiledPolicy,
  calls: readonly CallRecord[],
): { changed: ReplayChange[]; total: number } {
  const limiter = new RateLimiter();
  const changed: ReplayChange[] = [];
  let total = 0;
  for (const call of calls) {
    // Deny-all and tool pinning are no part of the policy: no policy edit changes them.
    if (call.rule === "deny-all" || call.rule === "tool-pinning") continue;
    total++;
    const decision = decide(
      policy,
      {
        server: call.server,
        tool: call.tool,
        ...(isGovernedRequest(call.method) ? { method: call.method } : {}),
        args: call.args,
        grant: call.client,
        session: call.session,
      },
      { denyAll: false, limits: limiter, now: call.ts },
    );
    if (decision.verdict !== "deny") limiter.reserve(decision.counterKeys, call.ts);
    const before = verdictOfStatus(call.status);
    if (before !== decision.verdict) {
      changed.push({ call, before, after: decision.verdict, rule: decision.rule, reason: decision.reason });
    }
  }
  return { changed, total };
}

/** The settings that shape how a policy compiles: the app's default approval timeout ("2m", at most 7d). */
export function compileOptions(settings: SettingsStore): CompileOptions {
  const timeout = settings.get("approvalTimeout");
  if (typeof timeout !== "string" || !DURATION_PATTERN.test(timeout)) return {};
  const ms = durationMs(timeout);
  return ms <= 7 * 86_400_000 ? { defaultApprovalTimeoutMs: ms } : {};
}

/** A standing approval is for one client's exact call. */
function standingKey(client: string, hash: string): string {
  return `${client}\u0000${hash}`;
}
