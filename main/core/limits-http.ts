/**
 * Connection limits for the loopback server. Every peer is loopback, so an address says nothing about who
 * is connecting: a connection is "unclaimed" until it carries a request with a valid token, then it counts
 * against that token's holder (an MCP grant, or the admin). Unclaimed connections are few and short-lived
 * (the oldest is dropped to make room for a new one, and one that sends no valid request soon is closed),
 * so idle sockets from any local process cannot use up the warden's descriptors; each grant has a cap of
 * its own; and the admin's connections are never dropped to make room, so Deny-all and the control API
 * stay reachable when the MCP side is full.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Connections open at once, in all (a ceiling: a lower open-file limit lowers it, see connectionCaps). */
export const MAX_CONNECTIONS = 2048;

/** Connections without a valid request yet; past it, the oldest is closed to make room. */
export const MAX_UNCLAIMED = 1024;

/** Connections one MCP client (grant) may hold (a client may send 100 requests at once, each on its own). */
export const MAX_CONNECTIONS_PER_GRANT = 256;

/** Connections kept for the control API: MCP clients together may never take these. */
export const ADMIN_RESERVE = 32;

/** The caps one server enforces. */
export interface ConnectionCaps {
  total: number;
  unclaimed: number;
  perGrant: number;
  adminReserve: number;
  /** The open-file limit they were derived from; undefined when it is unknown or high enough for the ceilings. */
  fileLimit?: number;
  /** True when the limit is so low that even the smallest caps may not leave the control API a descriptor. */
  tooFewFiles?: boolean;
}

/** The caps when descriptors are plentiful. */
export const CEILINGS: ConnectionCaps = {
  total: MAX_CONNECTIONS,
  unclaimed: MAX_UNCLAIMED,
  perGrant: MAX_CONNECTIONS_PER_GRANT,
  adminReserve: ADMIN_RESERVE,
};

/**
 * Descriptors kept for what is not a client connection: the warden's own files, the pipes of its stdio
 * servers (one process per client that connects) and its connections to HTTP servers.
 */
export function ownDescriptors(fileLimit: number): number {
  return Math.max(64, Math.ceil(fileLimit / 4));
}

/** Below this many connections the warden could not serve one busy client; the caps go no lower. */
export const MIN_CONNECTIONS = 64;

/** The lowest open-file limit that leaves MIN_CONNECTIONS after ownDescriptors. */
export const MIN_FILE_LIMIT = 128;

/**
 * The caps for a process that may open `fileLimit` descriptors: the ceilings, or, when the limit leaves
 * less room, the same proportions of what is left after ownDescriptors, so connections run out before
 * descriptors do and the admin's reserve is still there to take.
 */
export function connectionCaps(fileLimit: number | undefined): ConnectionCaps {
  if (fileLimit === undefined || fileLimit - ownDescriptors(fileLimit) >= MAX_CONNECTIONS) return CEILINGS;
  const room = fileLimit - ownDescriptors(fileLimit);
  const total = Math.max(MIN_CONNECTIONS, room);
  return {
    total,
    unclaimed: Math.floor(total / 2),
    perGrant: Math.floor(total / 8),
    adminReserve: Math.min(ADMIN_RESERVE, Math.max(8, Math.floor(total / 64))),
    fileLimit,
    ...(fileLimit < MIN_FILE_LIMIT ? { tooFewFiles: true } : {}),
  };
}

/** What serve says about caps lowered by the open-file limit; undefined when the ceilings apply. */
export function capsNote(caps: ConnectionCaps): string | undefined {
  if (caps.fileLimit === undefined) return undefined;
  const note =
    `at most ${caps.total} connections, ${caps.perGrant} per client, ${caps.adminReserve} kept for the ` +
    `control API (the open-file limit is ${caps.fileLimit})`;
  return caps.tooFewFiles
    ? `${note}; that limit is too low for the caps to keep the control API reachable: raise it (ulimit -n) ` +
        `to ${MIN_FILE_LIMIT} or more; mcp-warden deny-all on still works without a connection`
    : note;
}

/** The soft limit on open files (RLIMIT_NOFILE) of this process, from /proc/self/limits; undefined elsewhere. */
export function softFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return undefined;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)?.[1];
  return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
}

/** How long a connection without a valid token may stay without a request before it is closed. */
export const UNCLAIMED_IDLE_MS = 10_000;

/** The holder the admin's connections are claimed for. */
export const ADMIN_HOLDER = "\u0000admin";

/** Why a connection cannot be claimed; undefined when it was (or already is). */
export type ClaimRefusal = string | undefined;

/** Counts a server's connections by holder and enforces the caps above. */
export class ConnectionLimits {
  /** Unclaimed connections, oldest first (a Map keeps insertion order). */
  readonly #unclaimed = new Map<Socket, NodeJS.Timeout>();
  readonly #holderOf = new Map<Socket, string>();
  readonly #byHolder = new Map<string, number>();
  readonly #idleMs: number;
  readonly caps: ConnectionCaps;

  constructor(server: Server, caps: ConnectionCaps = CEILINGS, idleMs = UNCLAIMED_IDLE_MS) {
    this.caps = caps;
    this.#idleMs = idleMs;
    server.on("connection", (socket: Socket) => this.#admit(socket));
    // Requests without a token (the UI's own files) keep their connection from being closed as idle.
    server.on("request", (req: { socket: Socket }) => this.#unclaimed.get(req.socket)?.refresh());
  }

  get open(): number {
    return this.#unclaimed.size + this.#holderOf.size;
  }

  #admit(socket: Socket): void {
    const { total, unclaimed } = this.caps;
    if (this.#unclaimed.size >= unclaimed || this.open >= total) this.#dropOldestUnclaimed();
    if (this.open >= total) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => {
      if (this.#unclaimed.has(socket)) socket.destroy();
    }, this.#idleMs);
    timer.unref();
    this.#unclaimed.set(socket, timer);
    socket.once("close", () => this.#forget(socket));
  }

  #dropOldestUnclaimed(): void {
    const [oldest] = this.#unclaimed.keys();
    if (!oldest) return;
    this.#forget(oldest);
    oldest.destroy();
  }

  #forget(socket: Socket): void {
    const timer = this.#unclaimed.get(socket);
    if (timer) {
      clearTimeout(timer);
      this.#unclaimed.delete(socket);
    }
    const holder = this.#holderOf.get(socket);
    if (holder === undefined) return;
    this.#holderOf.delete(socket);
    const left = (this.#byHolder.get(holder) ?? 1) - 1;
    if (left > 0) this.#byHolder.set(holder, left);
    else this.#byHolder.delete(holder);
  }

  /** Counts `socket` against `holder` (a grant, or ADMIN_HOLDER); says why not when a cap is reached. */
  claim(socket: Socket, holder: string): ClaimRefusal {
    const current = this.#holderOf.get(socket);
    if (current === holder) return undefined;
    if (holder !== ADMIN_HOLDER) {
      const { total, unclaimed, perGrant, adminReserve } = this.caps;
      if ((this.#byHolder.get(holder) ?? 0) >= perGrant)
        return `this client has ${perGrant} connections open, the most one client may have`;
      if (this.#mcpConnections() >= total - unclaimed - adminReserve)
        return "the warden has no room for more MCP connections";
    }
    // A keep-alive pool may carry several clients' requests on one connection: it counts for the latest.
    if (current !== undefined) this.#forget(socket);
    const timer = this.#unclaimed.get(socket);
    if (timer) clearTimeout(timer);
    this.#unclaimed.delete(socket);
    this.#holderOf.set(socket, holder);
    this.#byHolder.set(holder, (this.#byHolder.get(holder) ?? 0) + 1);
    return undefined;
  }

  #mcpConnections(): number {
    return this.#holderOf.size - (this.#byHolder.get(ADMIN_HOLDER) ?? 0);
  }
}
