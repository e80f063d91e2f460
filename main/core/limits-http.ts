/**
 * Connection limits for the loopback server. Every peer is loopback, so an address says nothing about who
 * is connecting: a connection is "unclaimed" until it carries a request with a valid token, then it counts
 * against that token's holder (an MCP grant, or the admin). Unclaimed connections are few and short-lived
 * (the oldest is dropped to make room for a new one, and one that sends no valid request soon is closed),
 * so idle sockets from any local process cannot use up the warden's descriptors; each grant has a cap of
 * its own; and the admin's connections are never dropped to make room, so Deny-all and the control API
 * stay reachable when the MCP side is full.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Connections open at once, in all. */
export const MAX_CONNECTIONS = 2048;

/** Connections without a valid request yet; past it, the oldest is closed to make room. */
export const MAX_UNCLAIMED = 1024;

/** Connections one MCP client (grant) may hold (a client may send 100 requests at once, each on its own). */
export const MAX_CONNECTIONS_PER_GRANT = 256;

/** Connections kept for the control API: MCP clients together may never take these. */
export const ADMIN_RESERVE = 32;

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

  constructor(server: Server, idleMs = UNCLAIMED_IDLE_MS) {
    this.#idleMs = idleMs;
    server.on("connection", (socket: Socket) => this.#admit(socket));
    // Requests without a token (the UI's own files) keep their connection from being closed as idle.
    server.on("request", (req: { socket: Socket }) => this.#unclaimed.get(req.socket)?.refresh());
  }

  get open(): number {
    return this.#unclaimed.size + this.#holderOf.size;
  }

  #admit(socket: Socket): void {
    if (this.#unclaimed.size >= MAX_UNCLAIMED || this.open >= MAX_CONNECTIONS) this.#dropOldestUnclaimed();
    if (this.open >= MAX_CONNECTIONS) {
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
      if ((this.#byHolder.get(holder) ?? 0) >= MAX_CONNECTIONS_PER_GRANT)
        return `this client has ${MAX_CONNECTIONS_PER_GRANT} connections open, the most one client may have`;
      if (this.#mcpConnections() >= MAX_CONNECTIONS - MAX_UNCLAIMED - ADMIN_RESERVE)
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
