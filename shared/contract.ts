/**
 * The one contract between the core and any UI: every method the UI may call and every event it may
 * receive, with their types. The Electron preload (IPC) and the headless HTTP bridge (POST /api/<method>,
 * server-sent events on GET /api/events) both implement exactly this map; nothing else crosses.
 */
import type { ClientId, ClientSnippet, FoundConfig, UnwrapResult, WrapResult } from "./clients.js";
import type { PolicyError } from "./policy-schema.js";

/** What a tool call does, from harmless to harmful. */
export const RISK_KINDS = ["read", "write", "execute", "destructive"] as const;
/** How bad a mistake would be, in order. */
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

export type RiskKind = (typeof RISK_KINDS)[number];
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The risk of one tool, or of one action of a portmanteau tool. */
export interface Risk {
  kind: RiskKind;
  level: RiskLevel;
  /** One line for people: what the call does and why it has this level. */
  why: string;
  /** "catalogue" for virtualization-mcp's known tools, "inferred" for everything else. */
  source: "catalogue" | "inferred";
  /** The action (or operation) of a portmanteau tool this risk is for. */
  action?: string;
  /**
   * What the call does, in words, from the catalogue: `Stop VM {vm_name}`, where `{vm_name}` stands for the
   * value of the argument the call acts on. Absent for inferred risks.
   */
  effect?: string;
}

/** What the policy says about a call. */
export type Verdict = "allow" | "deny" | "approve";

/** Why a call was refused, when it was. */
export type DenialKind = "deny-all" | "rule" | "arguments" | "limit" | "approval" | "error";

/** A policy decision for one call. */
export interface Decision {
  verdict: Verdict;
  /** The rule that decided: `tools["stop_vm"]`, `tools["vm_management"][0]`, `default`, `deny-all`. */
  rule: string;
  reason: string;
  /** The operation the call was recognised as (e.g. `stop_vm` for `vm_management {action: "stop"}`). */
  operation?: string;
  denial?: DenialKind;
  /** For a limit: the one that was reached. */
  limit?: { counter: string; window: string; max: number; scope: string };
  /** For a limit: milliseconds until a slot frees up. */
  retryAfterMs?: number;
  /** For approve: how long a human has to answer. */
  approvalTimeoutMs?: number;
}

/** Where a call stands. */
export type CallStatus =
  | "allowed"
  | "denied"
  | "rate-limited"
  | "awaiting-approval"
  | "approved"
  | "rejected"
  | "timed-out"
  | "cancelled";

/** What happened once a call was forwarded. */
export type CallOutcome = "ok" | "tool-error" | "upstream-error";

/** One tool call as the log and the UI see it. */
export interface CallRecord {
  id: string;
  /** Epoch milliseconds when the call arrived. */
  ts: number;
  /** The grant (named client token) that made the call. */
  client: string;
  session: string;
  server: string;
  /** The tool; for a resource read, prompt or completion, the request's method (`resources/read` …). */
  tool: string;
  /** Set for a request other than tools/call: `resources/read`, `prompts/get` or `completion/complete`. */
  method?: string;
  args: Record<string, unknown>;
  /**
   * The arguments were over 8 KB: `args` holds the first 8 KB of their JSON (the audit log has a forwarded
   * call's whole; a refused call's up to 8 KB, with the SHA-256 and size of the whole).
   */
  argsTruncated?: boolean;
  status: CallStatus;
  rule: string;
  reason: string;
  operation?: string;
  /** Milliseconds from arrival to answer (a human's wait included). */
  latencyMs?: number;
  /** Milliseconds the call waited for a human's answer (calls that asked one). */
  waitedMs?: number;
  /** Milliseconds the upstream took, from forwarding the call to its answer (forwarded calls). */
  upstreamMs?: number;
  outcome?: CallOutcome;
  /** Upstream error text, or the tool's error text. */
  error?: string;
  /** The team member whose signed answer approved or denied the call (team approvals). */
  answeredBy?: string;
}

/** A call waiting for a human. */
export interface PendingApproval {
  id: string;
  callId: string;
  /** The grant (named client token) that made the call. */
  client: string;
  /** Who the client says it is in its handshake (clientInfo's title or name): "Claude Desktop". */
  clientName?: string;
  server: string;
  tool: string;
  operation?: string;
  args: Record<string, unknown>;
  rule: string;
  reason: string;
  /** Epoch milliseconds. */
  createdAt: number;
  deadline: number;
  /** SHA-256 of server, tool and canonical arguments: the approval is bound to exactly this call. */
  callHash: string;
  /** The risk of this call (the action its arguments pick, for a portmanteau tool). */
  risk?: Risk;
  /** Offered to the team: which member's warden holds the call, and whether that member may not answer it. */
  team?: { requester: string; othersOnly: boolean };
  /**
   * What the call acts on: the arguments its risk's effect names (a catalogued tool), or else every
   * argument whose name says it identifies something (`*_id`, `*name`, `*path`, `target`…).
   */
  targets?: CallTarget[];
  /** Each rate limit the call counts under, with this call counted. */
  limits?: LimitUse[];
  /** How many such calls this client made recently, from the call log. */
  recent?: RecentCalls;
}

/**
 * Calls of the same tool (or operation) to the same server from the same grant in the last `window`, this
 * one included, whatever became of them.
 */
export interface RecentCalls {
  calls: number;
  /** "minute". */
  window: string;
}

/** An argument a call acts on and its value (a string as sent; anything else as JSON). */
export interface CallTarget {
  argument: string;
  /** Absent when the argument the catalogue names was not sent. */
  value?: string;
}

/** How much of a rate limit is used, counting the call waiting for approval. */
export interface LimitUse {
  counter: string;
  window: string;
  max: number;
  scope: string;
  /** Calls counted in the window, this one included. */
  used: number;
}

/** How an approval ended. */
export type ApprovalEnd = "approved" | "denied" | "timed-out" | "cancelled" | "deny-all";

/** Where the warden stands with an upstream that wants OAuth sign-in. Tokens never cross: only this. */
export interface SignInInfo {
  signedIn: boolean;
  /** The scope the tokens were granted. */
  scope?: string;
  /** Epoch milliseconds when the access token expires (it is refreshed before). */
  expiresAt?: number;
  /** Why a person has to sign in now (401, or 403 asking for more scope). */
  needed?: string;
}

/** An upstream MCP server's state. */
export interface ServerStatus {
  name: string;
  transport: "stdio" | "http" | "sse";
  /** "sign-in-needed": the server answered 401 (or 403 for more scope) and waits for the user to sign in. */
  state: "starting" | "connected" | "restarting" | "failed" | "stopped" | "sign-in-needed";
  /** For URL servers: the OAuth sign-in, when the server asked for one or the warden holds tokens. */
  signIn?: SignInInfo;
  /**
   * The server's tools. A multi-action tool has `actions` (each action's risk, in the tool's order) and
   * `argument`, the argument that picks the action (`action`, or `operation` for proxmox_management).
   */
  tools: {
    name: string;
    description?: string;
    risk?: Risk;
    actions?: Record<string, Risk>;
    argument?: string;
  }[];
  /** The last lines the server wrote to stderr (stdio servers). */
  stderr: string[];
  restarts: number;
  lastError?: string;
  /** The downstream endpoint clients connect to. */
  endpoint: string;
}

/** What a tool is pinned by: its name, description and input schema. */
export interface ToolDefinition {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/**
 * A tool held back until the user accepts it: new since the server was first seen, changed since it was
 * pinned, or named with characters that can disguise it as another tool.
 */
export interface ToolChange {
  server: string;
  tool: string;
  kind: "new" | "changed" | "suspicious-name";
  /** The definition accepted before (for "changed"). */
  pinned?: ToolDefinition;
  current: ToolDefinition;
  detectedAt: number;
}

/** A client grant: a named bearer token for one MCP client. */
export interface GrantInfo {
  name: string;
  token: string;
  /** Given with --token-file / --grant: lives only as long as the process, cannot be revoked. */
  fromCommandLine: boolean;
}

/** The running policy and its file. */
export interface PolicyState {
  path: string;
  text: string;
  /** Epoch milliseconds when the running policy was applied. */
  loadedAt: number;
  /** Errors of the file on disk when it could not be applied (the last good policy stays in force). */
  fileErrors: PolicyError[];
}

/** The core's state at a glance. */
export interface WardenState {
  denyAll: boolean;
  servers: ServerStatus[];
  pending: PendingApproval[];
  callsToday: number;
  auditDisk: AuditDiskState;
}

/**
 * How the audit log stands on disk, so the UI can warn before new calls are refused for want of room:
 * "near-bound" past 80 % of the log's own bound, "low-disk" when its disk has less free space than the
 * threshold, "full" when new calls are refused. No warning when all is well.
 */
export interface AuditDiskState {
  /** Bytes the audit files use, against `limit` (their bound). */
  bytes: number;
  limit: number;
  /** Bytes free on the log's disk, when the system can say. */
  freeBytes?: number;
  warning?: "near-bound" | "low-disk" | "full";
  /** What the warning says, with what to do about it. */
  message?: string;
}

/** How this warden stands with its team (see main/core/team/). */
export interface TeamStatus {
  /** Whether settings name a team; the rest is empty when not. */
  configured: boolean;
  team: string;
  member: string;
  /** This member's Ed25519 public key (base64url of the raw 32 bytes), to pin in teammates' settings. */
  publicKey: string;
  /** The Redis connection: "connected" only once it has caught up (Deny-all, held slots, approvals). */
  state: "off" | "connecting" | "connected" | "down";
  /** Where Redis is (without credentials). */
  redis: string;
  lastError?: string;
  /** The pinned members, and whether each is online (seen in Redis lately). */
  members: { name: string; online: boolean; admin: boolean; keyMismatch?: boolean }[];
  denyAll: { on: boolean; by?: string; at?: number };
  /** Answers and statements refused lately (bad signature, replayed, for another call …), newest last. */
  refused: { at: number; reason: string }[];
}

/** A call to try against a policy without running it. */
export interface DryRunCall {
  server: string;
  tool: string;
  /** A request other than tools/call (`resources/read`, `prompts/get`, `completion/complete`); `args` are its params. */
  method?: "resources/read" | "prompts/get" | "completion/complete";
  args: Record<string, unknown>;
  client?: string;
  /** Policy text to try; the running policy when absent. */
  policy?: string;
}

/** A recorded call whose decision an edited policy would change. */
export interface ReplayChange {
  call: CallRecord;
  before: Verdict;
  after: Verdict;
  /** The rule and reason the edited policy would give. */
  rule: string;
  reason: string;
}

/** The policy's verdict behind a recorded call's status. */
export function verdictOfStatus(status: CallStatus): Verdict {
  switch (status) {
    case "allowed":
      return "allow";
    case "denied":
    case "rate-limited":
      return "deny";
    default:
      return "approve";
  }
}

/** Every method the UI can call: name → (params) → result. */
export interface WardenMethods {
  getState(params: Record<string, never>): WardenState;
  /**
   * Recent calls, newest first. With `before` (a call the UI already holds), the calls older than it, read
   * from the audit log when they are no longer in memory: the UI pages back through the whole log.
   */
  listCalls(params: { limit?: number; before?: { id: string; ts: number } }): CallRecord[];
  /** One recent call with its result (as the upstream answered; cut at 64 KB). */
  getCall(params: { id: string }): { call?: CallRecord; result?: unknown };
  listApprovals(params: Record<string, never>): PendingApproval[];
  /**
   * Approves a pending call; with `callHash`, only if it is still exactly the call that was shown. With
   * `forMinutes` (1–480), the same client's call of the same tool with the same arguments is approved again
   * without asking until then.
   */
  approve(params: { id: string; callHash?: string; forMinutes?: number }): { ok: boolean; error?: string };
  deny(params: { id: string; reason?: string }): { ok: boolean; error?: string };
  /** Takes effect at once; `error` says when the setting could not be saved (the switch moved all the same). */
  setDenyAll(params: { on: boolean }): { denyAll: boolean; error?: string };
  listServers(params: Record<string, never>): ServerStatus[];
  getPolicy(params: Record<string, never>): PolicyState;
  validatePolicy(params: { text: string }): { errors: PolicyError[] };
  savePolicy(params: { text: string }): { ok: boolean; errors: PolicyError[] };
  dryRun(params: DryRunCall): { decision?: Decision; errors: PolicyError[] };
  policySchema(params: Record<string, never>): Record<string, unknown>;
  /** Client grants with their tokens (to paste into a client's config). */
  listGrants(params: Record<string, never>): GrantInfo[];
  /** Creates a grant with a fresh token. */
  createGrant(params: { name: string }): { ok: boolean; grant?: GrantInfo; error?: string };
  /** Revokes a grant: its token stops working at once. */
  revokeGrant(params: { name: string }): { ok: boolean; error?: string };
  /** The MCP client configs on this machine (Claude Desktop, Cursor, Claude Code, VS Code). */
  findClients(params: Record<string, never>): FoundConfig[];
  /** Puts a client's servers behind the warden (its usual file, or `path`). */
  wrapClient(params: { client: ClientId; path?: string }): {
    ok: boolean;
    result?: WrapResult;
    error?: string;
  };
  /** Undoes `wrapClient`. */
  unwrapClient(params: { client: ClientId; path?: string }): {
    ok: boolean;
    result?: UnwrapResult;
    error?: string;
  };
  /**
   * Starts signing the warden in to an upstream (OAuth 2.1, PKCE): the consent page to open in the browser,
   * which comes back to the warden's /oauth/callback. `opened` when the warden opened it itself.
   */
  signInServer(params: { server: string }): {
    ok: boolean;
    authorizationUrl?: string;
    opened?: boolean;
    error?: string;
  };
  /** Forgets the warden's tokens for an upstream. */
  signOutServer(params: { server: string }): { ok: boolean; error?: string };
  /**
   * For each client (Claude Desktop, Cursor, Claude Code, VS Code), the config that reaches `server`
   * through this warden, as wrapping the client would write it (the bridge command or the URL).
   */
  clientSnippets(params: { server: string }): { snippets: ClientSnippet[]; error?: string };
  /** A starter policy for one server, from the risk of its tools (not applied: for the editor). */
  starterPolicy(params: { server: string }): { text?: string; error?: string };
  /** Tools held back until the user accepts them. */
  listToolChanges(params: Record<string, never>): ToolChange[];
  /** Accepts a held tool as it is now. */
  acceptToolChange(params: { server: string; tool: string }): { ok: boolean; error?: string };
  /** How `policy` would have decided the recorded calls (newest `limit`, default 1,000; or since a time). */
  replay(params: { policy: string; limit?: number; since?: number }): {
    changed: ReplayChange[];
    total: number;
    errors: PolicyError[];
  };
  /** The team connection, its members and the team-wide Deny-all. */
  getTeam(params: Record<string, never>): TeamStatus;
  /** Turns the team-wide Deny-all on (any member) or off (the member who turned it on, or a team admin). */
  setTeamDenyAll(params: { on: boolean }): { ok: boolean; error?: string };
}

/** The method names, for bridges that route by name. */
export const WARDEN_METHODS = [
  "getState",
  "listCalls",
  "listApprovals",
  "approve",
  "deny",
  "setDenyAll",
  "listServers",
  "getPolicy",
  "validatePolicy",
  "savePolicy",
  "dryRun",
  "policySchema",
  "replay",
  "getCall",
  "listGrants",
  "createGrant",
  "revokeGrant",
  "listToolChanges",
  "acceptToolChange",
  "findClients",
  "wrapClient",
  "unwrapClient",
  "starterPolicy",
  "clientSnippets",
  "getTeam",
  "setTeamDenyAll",
  "signInServer",
  "signOutServer",
] as const satisfies readonly (keyof WardenMethods)[];

export type WardenMethodName = keyof WardenMethods;
export type MethodParams<K extends WardenMethodName> = Parameters<WardenMethods[K]>[0];
export type MethodResult<K extends WardenMethodName> = ReturnType<WardenMethods[K]>;

/** The core's side of the contract: each method answered at once or, reading the disk, a little later. */
export type WardenHandlers = {
  [K in WardenMethodName]: (params: MethodParams<K>) => MethodResult<K> | Promise<MethodResult<K>>;
};

/** Every event the core sends to the UI: name → payload. */
export interface WardenEvents {
  call: CallRecord;
  approvalAdded: PendingApproval;
  approvalEnded: { id: string; callId: string; end: ApprovalEnd };
  denyAll: { on: boolean };
  servers: ServerStatus[];
  policy: { loadedAt: number; fileErrors: PolicyError[] };
  toolChanges: ToolChange[];
  /** The client grants changed (made, revoked, or tokens.json edited). */
  grants: GrantInfo[];
  /** The team connection, its members or the team Deny-all changed. */
  team: TeamStatus;
  /** The audit log's disk warning turned on, changed or went away. */
  auditDisk: AuditDiskState;
}

export type WardenEventName = keyof WardenEvents;

/** The event names, for bridges that subscribe by name. */
export const WARDEN_EVENTS = [
  "call",
  "approvalAdded",
  "approvalEnded",
  "denyAll",
  "servers",
  "policy",
  "toolChanges",
  "grants",
  "team",
  "auditDisk",
] as const satisfies readonly WardenEventName[];

/** What the UI talks to, whichever bridge is underneath. */
export type WardenApi = {
  [K in WardenMethodName]: (params: MethodParams<K>) => Promise<MethodResult<K>>;
} & {
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends WardenEventName>(event: E, listener: (payload: WardenEvents[E]) => void): () => void;
};

/** The text every refusal starts with, so agents and people can tell a warden refusal from a tool's error. */
export const DENIAL_PREFIX = "MCP Warden refused this call";
