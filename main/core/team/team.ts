/**
 * This warden's membership of a team: two connections to the team's Redis (commands, and a subscriber
 * for the team's channel), the team Deny-all, team-wide limits, approvals offered to and answered by
 * teammates, and who is online. The connection heals by itself; "connected" is reported only once the
 * warden has caught up after (re)connecting: held slots written back, the Deny-all read, the pending
 * team approvals loaded. While it is not connected, whatever needs the team is refused by the caller
 * (see gate.ts); what is local keeps working.
 */
import type { KeyObject } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { ApprovalEnd, PendingApproval, TeamStatus } from "../../../shared/contract.js";
import type { ApprovalBroker } from "../approvals/broker.js";
import { Emitter } from "../emitter.js";
import type { TeamLimit } from "../policy/decide.js";
import { type AnswerStatement, checkAnswer, checkRequest, type RequestStatement } from "./answers.js";
import { applyDenyAll, type DenyAllStatement, mayTurnOff, type TeamDenyAll } from "./deny-all.js";
import { isSigned, type MemberKeys, type Signed, type StatementBase, signStatement } from "./keys.js";
import { TeamLimiter, type TeamReserveResult, type TeamSlots } from "./limits.js";
import type { TeamSettings } from "./settings.js";

/** How often a member says it is online, and how long that lasts. */
const PRESENCE_EVERY_MS = 5_000;
const PRESENCE_TTL_MS = 15_000;
/** Refused statements kept for the UI. */
const MAX_REFUSED = 50;
/** Longest a Redis command may take before the call that needs it is refused. */
const COMMAND_TIMEOUT_MS = 2_000;

/** What a team tells the warden. */
export interface TeamEvents {
  status: TeamStatus;
  /** The team Deny-all changed (signed by `by`). */
  denyAll: { on: boolean; by?: string; at?: number };
  /** A teammate's approval request appeared here, or one ended. */
  approvalAdded: PendingApproval;
  approvalEnded: { id: string; callId: string; end: ApprovalEnd };
  /** Something the audit log should say (who turned the team Deny-all on or off, refused answers). */
  note: { ts: number; event: string; by?: string; detail?: string };
}

/** A message on the team's channel. */
type ChannelMessage =
  | { type: "deny-all"; signed: Signed<StatementBase> }
  | { type: "request"; signed: Signed<StatementBase> }
  | { type: "answer"; signed: Signed<StatementBase> }
  | { type: "ended"; id: string; callId: string; end: ApprovalEnd };

/** One team membership. */
export class Team extends Emitter<TeamEvents> {
  readonly settings: TeamSettings;
  readonly #keys: MemberKeys;
  readonly #now: () => number;
  readonly #prefix: string;
  readonly #channel: string;
  readonly limiter: TeamLimiter;
  #cmd: Redis | undefined;
  #sub: Redis | undefined;
  #state: TeamStatus["state"] = "connecting";
  #lastError: string | undefined;
  #syncing = false;
  #deny: TeamDenyAll = { on: false };
  /** Approvals this warden holds and offered to the team, by approval id. */
  readonly #offered = new Map<string, PendingApproval>();
  /** Teammates' approvals shown here, by approval id. */
  readonly #remote = new Map<string, PendingApproval>();
  /** Answers already used (by signature): an answer counts once. */
  readonly #used = new Set<string>();
  /** Who answered a call (by call id), until the warden takes it for the audit. */
  readonly #answeredBy = new Map<string, string>();
  readonly #online = new Map<string, string>();
  readonly #refused: { at: number; reason: string }[] = [];
  #broker: ApprovalBroker | undefined;
  #presenceTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(settings: TeamSettings, keys: MemberKeys, now: () => number = Date.now) {
    super();
    this.settings = settings;
    this.#keys = keys;
    this.#now = now;
    this.#prefix = `mcp-warden:${settings.team}:`;
    this.#channel = `${this.#prefix}events`;
    this.limiter = new TeamLimiter(this.#prefix);
  }

  get member(): string {
    return this.settings.member;
  }

  get connected(): boolean {
    return this.#state === "connected";
  }

  get denyAll(): TeamDenyAll {
    return this.#deny;
  }

  /** Connects (in the background: it retries until Redis answers) and keeps saying this member is online. */
  start(): void {
    const options: RedisOptions = {
      ...(this.settings.username ? { username: this.settings.username } : {}),
      ...(this.settings.password !== undefined ? { password: this.settings.password } : {}),
      // rediss://: TLS with the system's CAs, or the team's own (team.caFile); the certificate is checked.
      ...(this.settings.url.startsWith("rediss:")
        ? { tls: this.settings.ca !== undefined ? { ca: this.settings.ca } : {} }
        : {}),
      // Fail closed: a command while Redis is away is refused at once, never queued for later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      autoResubscribe: false,
      retryStrategy: (times) => Math.min(100 * times, 1_000),
    };
    this.#cmd = this.#connect(options, "commands");
    this.#sub = this.#connect(options, "subscriber");
    this.#sub.on("message", (_channel, text) => this.#onMessage(text));
    this.#presenceTimer = setInterval(() => void this.#presence(), PRESENCE_EVERY_MS);
    this.#presenceTimer.unref();
  }

  #connect(options: RedisOptions, role: string): Redis {
    const redis = new Redis(this.settings.url, options);
    redis.on("error", (error: Error) => {
      this.#lastError = `${role}: ${error.message}`;
    });
    redis.on("ready", () => void this.#sync());
    redis.on("close", () => this.#setState(this.#closed ? "off" : "down"));
    return redis;
  }

  #setState(state: TeamStatus["state"]): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit("status", this.status());
  }

  /** After (re)connecting: catch up, then say "connected". */
  async #sync(): Promise<void> {
    const cmd = this.#cmd;
    const sub = this.#sub;
    if (!cmd || !sub || cmd.status !== "ready" || sub.status !== "ready" || this.#syncing) return;
    this.#syncing = true;
    try {
      await sub.subscribe(this.#channel);
      await this.limiter.resync(cmd);
      await this.#readDenyAll(cmd);
      await this.#loadApprovals(cmd);
      await this.#presence();
      this.#lastError = undefined;
      this.#setState("connected");
    } catch (error) {
      this.#lastError = `catching up: ${(error as Error).message}`;
      this.#setState("down");
    } finally {
      this.#syncing = false;
    }
  }

  async #readDenyAll(cmd: Redis): Promise<void> {
    const key = `${this.#prefix}deny-all`;
    const text = await cmd.get(key);
    if (text) this.#receiveDenyAll(parseJson(text));
    // Redis came back without it (a restart with no persistence): the statement in force goes back, so a
    // warden that joins later sees the team Deny-all on.
    else if (this.#deny.signed) await cmd.set(key, JSON.stringify(this.#deny.signed), "NX");
  }

  async #loadApprovals(cmd: Redis): Promise<void> {
    const all = await cmd.hgetall(`${this.#prefix}approvals`);
    const now = this.#now();
    const seen = new Set<string>();
    for (const text of Object.values(all)) {
      const approval = this.#receiveRequest(parseJson(text), now);
      if (approval) seen.add(approval.id);
    }
    for (const [id, approval] of this.#remote) {
      if (seen.has(id)) continue;
      this.#remote.delete(id);
      this.emit("approvalEnded", { id, callId: approval.callId, end: "cancelled" });
    }
    // Offers made while Redis was away (or lost with its data) are offered again.
    for (const approval of this.#offered.values()) await this.#publishOffer(approval);
  }

  async #presence(): Promise<void> {
    const cmd = this.#cmd;
    if (cmd?.status !== "ready") return;
    const names = [...this.settings.members.keys()];
    try {
      await cmd.set(`${this.#prefix}presence:${this.member}`, this.#keys.publicKey, "PX", PRESENCE_TTL_MS);
      const keys = await cmd.mget(...names.map((n) => `${this.#prefix}presence:${n}`));
      const before = JSON.stringify([...this.#online]);
      this.#online.clear();
      names.forEach((name, i) => {
        const key = keys[i];
        if (key) this.#online.set(name, key);
      });
      if (JSON.stringify([...this.#online]) !== before) this.emit("status", this.status());
    } catch (error) {
      this.#lastError = `presence: ${(error as Error).message}`;
    }
  }

  #onMessage(text: string): void {
    const message = parseJson(text) as Partial<ChannelMessage> | undefined;
    if (!message || typeof message !== "object") {
      this.#refuse("a message on the team channel that is not JSON");
      return;
    }
    switch (message.type) {
      case "deny-all": {
        this.#receiveDenyAll(message.signed);
        return;
      }
      case "request":
        this.#receiveRequest(message.signed, this.#now());
        return;
      case "answer": {
        this.#receiveAnswer(message.signed);
        return;
      }
      case "ended": {
        this.#receiveEnded(message as Extract<ChannelMessage, { type: "ended" }>);
        return;
      }
      default: {
        this.#refuse("a message of no known type on the team channel");
        return;
      }
    }
  }

  #refuse(reason: string): void {
    this.#refused.push({ at: this.#now(), reason });
    if (this.#refused.length > MAX_REFUSED) this.#refused.shift();
    this.emit("note", { ts: this.#now(), event: "team-refused", detail: reason });
    this.emit("status", this.status());
  }

  #receiveDenyAll(signed: unknown): void {
    if (!isSigned(signed)) {
      this.#refuse("a Deny-all statement that is not signed");
      return;
    }
    const result = applyDenyAll(
      this.#deny,
      signed,
      this.settings.members,
      this.settings.admins,
      this.settings.team,
    );
    if ("refused" in result) {
      this.#refuse(result.refused);
      return;
    }
    if (result.state === this.#deny) return;
    const was = this.#deny.on;
    this.#deny = result.state;
    const change = {
      on: result.state.on,
      ...(result.state.by ? { by: result.state.by } : {}),
      ...(result.state.at ? { at: result.state.at } : {}),
    };
    if (was !== result.state.on)
      this.emit("note", {
        ts: this.#now(),
        event: result.state.on ? "team-deny-all-on" : "team-deny-all-off",
        ...(result.state.by ? { by: result.state.by } : {}),
      });
    this.emit("denyAll", change);
    this.emit("status", this.status());
  }

  #receiveRequest(signed: unknown, now: number): PendingApproval | undefined {
    if (!isSigned(signed)) {
      this.#refuse("an approval request that is not signed");
      return undefined;
    }
    const checked = checkRequest(signed, this.settings.members, this.settings.team);
    if (!checked.ok) {
      this.#refuse(checked.reason);
      return undefined;
    }
    const approval = checked.approval;
    if (approval.team?.requester === this.member || approval.deadline <= now) return undefined;
    if (!this.#remote.has(approval.id)) {
      this.#remote.set(approval.id, approval);
      this.emit("approvalAdded", approval);
    }
    return approval;
  }

  #receiveAnswer(signed: unknown): void {
    if (!isSigned(signed)) {
      this.#refuse("an approval answer that is not signed");
      return;
    }
    // Answers for calls held by another member's warden are that warden's to check.
    if ((signed.statement as Partial<AnswerStatement>).to !== this.member) return;
    const checked = checkAnswer(
      signed,
      this.#offered,
      this.#used,
      this.settings.members,
      this.settings.team,
      this.#now(),
    );
    if (!checked.ok) {
      this.#refuse(checked.reason);
      return;
    }
    this.#used.add(signed.sig);
    this.#answeredBy.set(checked.approval.callId, checked.by);
    if (checked.answer === "approve") this.#broker?.approve(checked.approval.id, checked.approval.callHash);
    else this.#broker?.deny(checked.approval.id);
  }

  #receiveEnded(message: { id: string; callId: string; end: ApprovalEnd }): void {
    const approval = this.#remote.get(message.id);
    if (!approval) return;
    this.#remote.delete(message.id);
    this.emit("approvalEnded", { id: message.id, callId: approval.callId, end: message.end });
  }

  /** Offers the broker's team approvals to the team as they are added, and withdraws them as they end. */
  watch(broker: ApprovalBroker): void {
    this.#broker = broker;
    broker.on("added", (approval) => {
      if (approval.team?.requester !== this.member) return;
      this.#offered.set(approval.id, approval);
      void this.#publishOffer(approval);
    });
    broker.on("ended", ({ approval, end }) => {
      if (!this.#offered.delete(approval.id)) return;
      void this.#withdraw(approval, end);
    });
  }

  async #publishOffer(approval: PendingApproval): Promise<void> {
    const cmd = this.#cmd;
    if (!cmd) return;
    const signed = signStatement<RequestStatement>(this.#keys, {
      kind: "approval-request",
      team: this.settings.team,
      by: this.member,
      at: this.#now(),
      approval,
    });
    try {
      await cmd.hset(`${this.#prefix}approvals`, approval.id, JSON.stringify(signed));
      await cmd.publish(this.#channel, JSON.stringify({ type: "request", signed }));
    } catch (error) {
      // Offered again once the connection returns (#loadApprovals).
      this.#lastError = `offering an approval: ${(error as Error).message}`;
    }
  }

  async #withdraw(approval: PendingApproval, end: ApprovalEnd): Promise<void> {
    const cmd = this.#cmd;
    if (!cmd) return;
    try {
      await cmd.hdel(`${this.#prefix}approvals`, approval.id);
      await cmd.publish(
        this.#channel,
        JSON.stringify({ type: "ended", id: approval.id, callId: approval.callId, end }),
      );
    } catch {
      // Teammates drop it when they next catch up, or when its deadline passes.
    }
  }

  /** Teammates' approvals this member may answer. */
  remoteApprovals(): PendingApproval[] {
    const now = this.#now();
    return [...this.#remote.values()].filter((a) => a.deadline > now);
  }

  /**
   * Answers an approval as this member. A teammate's approval is answered with a signed statement; this
   * warden's own team approval that needs someone else is refused here. Undefined: not a team matter
   * (the local broker answers it).
   */
  answer(
    id: string,
    answer: "approve" | "deny",
    shownHash?: string,
  ): Promise<{ ok: boolean; error?: string }> | { ok: boolean; error?: string } | undefined {
    const own = this.#offered.get(id);
    if (own) {
      if (answer === "approve" && own.team?.othersOnly)
        return { ok: false, error: `a team member other than ${this.member} must approve this call` };
      return undefined;
    }
    const remote = this.#remote.get(id);
    if (!remote) return undefined;
    if (shownHash !== undefined && shownHash !== remote.callHash)
      return { ok: false, error: "the call does not match the one shown for approval" };
    return this.#sendAnswer(remote, answer);
  }

  async #sendAnswer(
    approval: PendingApproval,
    answer: "approve" | "deny",
  ): Promise<{ ok: boolean; error?: string }> {
    const cmd = this.#cmd;
    if (!cmd || !this.connected)
      return { ok: false, error: `the team's Redis cannot be reached${this.#why()}` };
    const signed = signStatement<AnswerStatement>(this.#keys, {
      kind: "answer",
      team: this.settings.team,
      by: this.member,
      to: approval.team?.requester ?? "",
      at: this.#now(),
      approvalId: approval.id,
      callId: approval.callId,
      callHash: approval.callHash,
      answer,
    });
    try {
      await cmd.publish(this.#channel, JSON.stringify({ type: "answer", signed }));
      return { ok: true };
    } catch (error) {
      return { ok: false, error: `the answer could not be sent: ${(error as Error).message}` };
    }
  }

  /** Who answered a call through the team (once: the audit records it). */
  takeAnswerer(callId: string): string | undefined {
    const by = this.#answeredBy.get(callId);
    this.#answeredBy.delete(callId);
    return by;
  }

  /** Turns the team Deny-all on or off as this member (off only with the right that turned it on). */
  async setDenyAll(on: boolean): Promise<{ ok: boolean; error?: string }> {
    const cmd = this.#cmd;
    if (!cmd || !this.connected)
      return { ok: false, error: `the team's Redis cannot be reached${this.#why()}` };
    if (!on && !mayTurnOff(this.#deny, this.member, this.settings.admins))
      return {
        ok: false,
        error: `only ${this.#deny.by} (who turned it on) or a team admin may turn the team Deny-all off`,
      };
    const signed = signStatement<DenyAllStatement>(this.#keys, {
      kind: "deny-all",
      team: this.settings.team,
      by: this.member,
      // Strictly newer than the statement in force, whatever this machine's clock says.
      at: Math.max(this.#now(), (this.#deny.at ?? 0) + 1),
      on,
    });
    try {
      await cmd.set(`${this.#prefix}deny-all`, JSON.stringify(signed));
      await cmd.publish(this.#channel, JSON.stringify({ type: "deny-all", signed }));
    } catch (error) {
      return { ok: false, error: `the team Deny-all could not be set: ${(error as Error).message}` };
    }
    this.#receiveDenyAll(signed);
    return { ok: true };
  }

  /** Checks and takes a slot under each team-wide limit (refused, with the reason, when Redis is away). */
  async reserve(
    limits: readonly TeamLimit[],
    callId: string,
    retentionMs: number,
  ): Promise<TeamReserveResult> {
    const cmd = this.#cmd;
    if (!cmd || !this.connected)
      return { ok: false, error: `the team's Redis cannot be reached${this.#why()}` };
    return this.limiter.reserve(cmd, limits, `${this.member}:${callId}`, retentionMs);
  }

  /** Gives a call's team slots back (now, or once Redis is back). */
  release(slots: TeamSlots): void {
    void this.limiter.release(this.connected ? this.#cmd : undefined, slots);
  }

  #why(): string {
    return this.#lastError ? ` (${this.#lastError})` : "";
  }

  /** The team at a glance. */
  status(): TeamStatus {
    const s = this.settings;
    return {
      configured: true,
      team: s.team,
      member: s.member,
      publicKey: this.#keys.publicKey,
      state: this.#state,
      redis: s.shownUrl,
      ...(this.#lastError && this.#state !== "connected" ? { lastError: this.#lastError } : {}),
      members: [...s.memberKeys].map(([name, key]) => {
        const seen = this.#online.get(name);
        return {
          name,
          online: seen === key,
          admin: s.admins.has(name),
          ...(seen !== undefined && seen !== key ? { keyMismatch: true } : {}),
        };
      }),
      denyAll: {
        on: this.#deny.on,
        ...(this.#deny.by ? { by: this.#deny.by } : {}),
        ...(this.#deny.at ? { at: this.#deny.at } : {}),
      },
      refused: [...this.#refused],
    };
  }

  /** Disconnects. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#presenceTimer);
    await Promise.all([this.#cmd, this.#sub].map((r) => r?.quit().catch(() => r.disconnect())));
  }
}

/** The status of a warden that belongs to no team. */
export const NO_TEAM: TeamStatus = {
  configured: false,
  team: "",
  member: "",
  publicKey: "",
  state: "off",
  redis: "",
  members: [],
  denyAll: { on: false },
  refused: [],
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The pinned keys, for tests and tools that check statements outside a running team. */
export type PinnedKeys = ReadonlyMap<string, KeyObject>;
