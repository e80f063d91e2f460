/**
 * The loopback HTTP server: one Streamable HTTP MCP endpoint per upstream at /mcp/<server> (bearer token
 * per client grant), and the control API at /api/<method> plus server-sent events at /api/events (admin
 * token, which no MCP client is given). Host and Origin are checked on every request, so a web page in
 * the user's browser cannot reach either through DNS rebinding or a cross-site form. The UI signs in with a
 * one-time code for a session (ui-sessions.ts) at /auth/session; a client checks that it speaks to the real
 * warden at /.well-known/mcp-warden (identity.ts) before it sends a token.
 */

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  createServer,
  type IncomingMessage,
  type Server as NodeServer,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { extname, resolve, sep } from "node:path";
import { WARDEN_EVENTS, WARDEN_METHODS, type WardenMethodName } from "../../shared/contract.js";
import { Grants } from "./clients/grants.js";
import { NONCE_PATTERN, PROOF_PATH, proofFor } from "./identity.js";
import {
  ADMIN_HOLDER,
  type ConnectionCaps,
  ConnectionLimits,
  connectionCaps,
  softFileLimit,
} from "./limits-http.js";
import { UnreadBytes } from "./proxy/backpressure.js";
import { ClientSession } from "./proxy/client-session.js";
import { LEGACY_PROTOCOL_VERSIONS } from "./proxy/envelope.js";
import { HttpChannel } from "./proxy/http-channel.js";
import { isModernRequest, MODERN_VERSIONS, serveModern } from "./proxy/modern.js";
import { MessageError, methodOf, parseMessages, type RawMessage } from "./proxy/raw-json.js";
import type { Upstream } from "./proxy/upstream.js";
import { UiSessions } from "./ui-sessions.js";
import { serveCallback } from "./upstream-auth/callback-page.js";
import { CALLBACK_PATH } from "./upstream-auth/sign-in.js";
import type { Warden } from "./warden.js";

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpOptions {
  host?: string;
  port: number;
  /** Client grants: the live set, or name → bearer token. */
  grants: Grants | Record<string, string>;
  adminToken: string;
  /** The data folder's warden key, with which the server proves who it is (see identity.ts). */
  wardenKey?: string;
  /** Folder of the built UI, served at `/`. */
  uiDir?: string;
  /** How long an idle session lives (default SESSION_IDLE_MS). */
  sessionIdleMs?: number;
  /** How often a call waiting for a human sends progress (default DEFAULT_KEEPALIVE_MS). */
  keepAliveMs?: number;
}

/** The UI's Content-Security-Policy: our own scripts only, no framing, no forms, API on the same origin. */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Content types of the files the UI is built from. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** A running HTTP server. */
export interface WardenHttp {
  port: number;
  url: string;
  /** A fresh one-time sign-in code for the UI (see ui-sessions.ts). */
  newUiCode(): string;
  /** The connection caps in force (lowered by a low open-file limit). */
  connectionCaps: ConnectionCaps;
  close(): Promise<void>;
}

/** The name the control API's reader goes by in the per-client accounting (no grant can take it: grants are MCP only). */
const ADMIN_CLIENT = ADMIN_HOLDER;

/** Most messages one POST may carry. */
export const MAX_BATCH = 100;

interface McpSession {
  channel: HttpChannel;
  client: ClientSession;
  grant: string;
  upstream: string;
  /** The upstream the session was opened on: when the servers file replaces it, the session ends. */
  upstreamRef: Upstream;
  /** When the client last sent anything. */
  lastSeen: number;
  /** Requests (and event streams) of this session still open. */
  open: number;
}

/** Sessions one client (grant) may hold open at once. */
export const MAX_SESSIONS_PER_GRANT = 256;

/** A session with nothing open and no request for this long is closed (its client went away). */
export const SESSION_IDLE_MS = 60 * 60_000;

/** Counts a request against its session until its response ends. */
function track(session: McpSession, res: ServerResponse): void {
  session.lastSeen = Date.now();
  session.open++;
  res.once("close", () => {
    session.open--;
    session.lastSeen = Date.now();
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(text);
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new BodyError(413, -32600, `request body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, -32600, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BodyError(400, -32700, `parse error: ${(error as Error).message}`);
  }
}

/** Starts the HTTP server on loopback. */
export async function startHttpServer(warden: Warden, options: HttpOptions): Promise<WardenHttp> {
  const host = options.host ?? "127.0.0.1";
  const grants = options.grants instanceof Grants ? options.grants : new Grants(undefined, options.grants);
  const admin = new Grants(undefined, { admin: options.adminToken });
  const sessions = new Map<string, McpSession>();
  const unread = new UnreadBytes();
  let port = options.port;
  // Made once the port is known: the session cookie is named after it.
  let ui: UiSessions | undefined;

  /** Only our own origin: a Host naming loopback on our port, and no foreign Origin. */
  const trustedOrigin = (req: IncomingMessage): boolean => {
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!allowed.includes(req.headers.host ?? "")) return false;
    const origin = req.headers.origin;
    return origin === undefined || allowed.some((a) => origin === `http://${a}`);
  };

  const endSession = (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    session.channel.close();
    session.client.close();
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse, serverName: string) => {
    const grant = grants.match(req.headers.authorization);
    if (!grant) {
      res.setHeader("www-authenticate", 'Bearer realm="mcp-warden"');
      return jsonRpcError(res, 401, -32001, "missing or unknown bearer token");
    }
    const noRoom = connections.claim(req.socket, grant);
    if (noRoom) {
      res.setHeader("connection", "close");
      return jsonRpcError(res, 503, -32000, `MCP Warden: ${noRoom}; close some connections`);
    }
    const upstream = warden.upstreams.get(serverName);
    if (!upstream) return jsonRpcError(res, 404, -32001, `no server named "${serverName}"`);
    const version = req.headers["mcp-protocol-version"];
    const known = [...LEGACY_PROTOCOL_VERSIONS, ...MODERN_VERSIONS];
    if (
      typeof version === "string" &&
      !known.includes(version) &&
      req.headers["mcp-session-id"] !== undefined
    )
      return jsonRpcError(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version}`);
    let messages: RawMessage[] = [];
    let batch = false;
    if (req.method === "POST") {
      const accept = String(req.headers.accept ?? "");
      if (!accept.includes("application/json") || !accept.includes("text/event-stream"))
        return jsonRpcError(
          res,
          406,
          -32000,
          "Not Acceptable: Client must accept both application/json and text/event-stream",
        );
      if (!/^application\/json\b/i.test(String(req.headers["content-type"] ?? "")))
        return jsonRpcError(
          res,
          415,
          -32000,
          "Unsupported Media Type: Content-Type must be application/json",
        );
      const text = await readBody(req);
      try {
        ({ messages, batch } = parseMessages(text));
      } catch (error) {
        if (error instanceof MessageError) return jsonRpcError(res, 400, error.code, error.message);
        throw error;
      }
      if (messages.length > MAX_BATCH)
        return jsonRpcError(res, 400, -32600, `Invalid Request: a batch of more than ${MAX_BATCH} messages`);
    }
    const sessionId = req.headers["mcp-session-id"];
    if (sessionId === undefined && req.method === "POST" && isModernRequest(req, messages)) {
      return serveModern(req, res, messages[0] as RawMessage, {
        warden,
        upstream,
        grant,
        unread,
        ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
      });
    }
    if (typeof sessionId === "string") {
      const session = sessions.get(sessionId);
      if (!session || session.upstream !== serverName)
        return jsonRpcError(res, 404, -32001, "session not found");
      if (session.grant !== grant)
        return jsonRpcError(res, 403, -32001, "this session belongs to another client");
      track(session, res);
      if (req.method === "GET") return session.channel.handleGet(req, res);
      if (req.method === "DELETE") {
        endSession(sessionId);
        res.writeHead(200).end();
        return;
      }
      if (req.method !== "POST") return jsonRpcError(res, 405, -32000, "Method not allowed.");
      if (messages.some((m) => methodOf(m) === "initialize"))
        return jsonRpcError(res, 400, -32600, "Invalid Request: Server already initialized");
      return session.channel.handlePost(res, messages, batch, session.client);
    }
    if (req.method === "GET" || req.method === "DELETE") {
      // Without a session there is nothing to stream or end (2026-07-28 has no sessions at all).
      res.setHeader("allow", "POST");
      return jsonRpcError(res, 405, -32000, "Method not allowed without a session");
    }
    if (req.method !== "POST" || !messages.some((m) => methodOf(m) === "initialize")) {
      return jsonRpcError(res, 400, -32000, "bad request: no valid session id (initialize first)");
    }
    let open = 0;
    for (const session of sessions.values()) if (session.grant === grant) open++;
    if (open >= MAX_SESSIONS_PER_GRANT) {
      return jsonRpcError(
        res,
        429,
        -32000,
        `too many open sessions for this client (${MAX_SESSIONS_PER_GRANT}); close some`,
      );
    }
    await upstream.whenReady(10_000);
    const id = randomUUID();
    const channel = new HttpChannel({ sessionId: id, client: grant, unread });
    const client = new ClientSession({
      warden,
      upstream,
      grant,
      sessionId: id,
      outlet: channel,
      ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
    });
    const session: McpSession = {
      channel,
      client,
      grant,
      upstream: serverName,
      upstreamRef: upstream,
      lastSeen: 0,
      open: 0,
    };
    sessions.set(id, session);
    track(session, res);
    channel.handlePost(res, messages, batch, client);
    // A refused initialize (the server could not be reached) leaves no session behind.
    res.once("finish", () => {
      if (!client.initialized) endSession(id);
    });
  };

  const handleEvents = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(": mcp-warden events\n\n");
    // The UI's event stream is capped like any client's: a reader that stops reading is cut off.
    const offs = WARDEN_EVENTS.map((event) =>
      warden.events.on(event, (payload) =>
        unread.write(ADMIN_CLIENT, res, `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`),
      ),
    );
    const ping = setInterval(() => unread.write(ADMIN_CLIENT, res, ": ping\n\n"), 15_000);
    req.on("close", () => {
      clearInterval(ping);
      for (const off of offs) off();
    });
  };

  const handleProof = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const nonce = query.get("nonce") ?? "";
    if (req.method !== "GET") return sendJson(res, 405, { error: "use GET" }, { allow: "GET" });
    if (!options.wardenKey) return sendJson(res, 404, { error: "this warden has no key to prove with" });
    if (!NONCE_PATTERN.test(nonce))
      return sendJson(res, 400, { error: "nonce must be 32 to 128 lowercase hex digits" });
    sendJson(res, 200, { pid: process.pid, proof: proofFor(options.wardenKey, nonce, port, process.pid) });
  };

  /** `POST /auth/session {code}` signs the UI in; `POST /auth/code` (admin token) makes a new code. */
  const handleAuth = async (req: IncomingMessage, res: ServerResponse, step: string) => {
    if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { allow: "POST" });
    if (!ui) return sendJson(res, 503, { error: "not listening yet" });
    if (step === "code") {
      if (!admin.match(req.headers.authorization)) {
        res.setHeader("www-authenticate", 'Bearer realm="mcp-warden-admin"');
        return sendJson(res, 401, { error: "missing or wrong admin token" });
      }
      const code = ui.newCode();
      return sendJson(res, 200, { code, url: uiLink(code) });
    }
    if (step !== "session") return sendJson(res, 404, { error: "not found" });
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? ""))
      return sendJson(res, 415, { error: "content-type must be application/json" });
    const body = (await readJsonBody(req)) as { code?: unknown } | undefined;
    const session = ui.exchange(body?.code);
    if (!session)
      return sendJson(res, 401, {
        error: "this sign-in code is unknown, used or expired; run mcp-warden ui for a new link",
      });
    sendJson(res, 200, { binding: session.binding }, { "set-cookie": session.setCookie });
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, name: string) => {
    if (!admin.match(req.headers.authorization) && !ui?.authorizes(req.headers)) {
      res.setHeader("www-authenticate", 'Bearer realm="mcp-warden-admin"');
      return sendJson(res, 401, { error: "missing or wrong admin token" });
    }
    const noRoom = connections.claim(req.socket, ADMIN_HOLDER);
    if (noRoom) return sendJson(res, 409, { error: noRoom }, { connection: "close" });
    if (name === "events" && req.method === "GET") return handleEvents(req, res);
    if (!(WARDEN_METHODS as readonly string[]).includes(name))
      return sendJson(res, 404, { error: `no method "${name}"` });
    if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { allow: "POST" });
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
      // A cross-site form can only send simple content types: requiring JSON closes that door too.
      return sendJson(res, 415, { error: "content-type must be application/json" });
    }
    const params = (await readJsonBody(req)) ?? {};
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      return sendJson(res, 400, { error: "the body must be a JSON object of parameters" });
    }
    const method = warden.methods[name as WardenMethodName] as (p: unknown) => unknown;
    sendJson(res, 200, await method(params));
  };

  const serveUi = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const root = options.uiDir;
    if (!root || (req.method !== "GET" && req.method !== "HEAD"))
      return sendJson(res, 404, { error: "not found" });
    const relative = path === "/" ? "index.html" : decodeURIComponent(path).replace(/^\/+/, "");
    const base = resolve(root);
    const file = resolve(base, relative);
    if (!file.startsWith(base + sep)) return sendJson(res, 404, { error: "not found" });
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return sendJson(res, 404, { error: "not found" });
    }
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "content-security-policy": UI_CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  };

  const server: NodeServer = createServer((req, res) => {
    const route = async () => {
      if (!trustedOrigin(req)) return sendJson(res, 403, { error: "forbidden host or origin" });
      const { pathname: path, searchParams } = new URL(req.url ?? "/", "http://localhost");
      if (path === PROOF_PATH) return handleProof(req, res, searchParams);
      const auth = /^\/auth\/([a-z]+)$/.exec(path);
      if (auth?.[1]) return handleAuth(req, res, auth[1]);
      const mcp = /^\/mcp\/([^/]+)\/?$/.exec(path);
      if (mcp?.[1]) return handleMcp(req, res, decodeURIComponent(mcp[1]));
      const api = /^\/api\/([A-Za-z]+)$/.exec(path);
      if (api?.[1]) return handleApi(req, res, api[1]);
      // The authorization server sends the user's browser back here; the flow's state guards it.
      if (path === CALLBACK_PATH) return serveCallback(req, res, warden.signIn);
      return serveUi(req, res, path);
    };
    route().catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (error instanceof BodyError) return jsonRpcError(res, error.status, error.code, error.message);
      sendJson(res, 500, { error: (error as Error).message });
    });
  });

  // Clients keep connections open between calls; a short idle timeout races their next request under
  // load (the client writes on a socket the server is closing), so idle connections live a minute.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  // Caps on connections by who holds them, so idle sockets cannot use up the descriptors (limits-http.ts).
  const connections = new ConnectionLimits(server, connectionCaps(softFileLimit()));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  ui = new UiSessions(port);
  const uiLink = (code: string) => `http://${host}:${port}/#code=${encodeURIComponent(code)}`;
  const offServers = warden.events.on("servers", () => {
    for (const [id, session] of sessions) {
      if (warden.upstreams.get(session.upstream) !== session.upstreamRef) endSession(id);
    }
  });
  const toolsChanged = () => {
    for (const session of sessions.values()) session.client.toolsChanged();
  };
  const offPolicy = warden.events.on("policy", toolsChanged);
  const offPins = warden.events.on("toolChanges", toolsChanged);
  const idleMs = options.sessionIdleMs ?? SESSION_IDLE_MS;
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, session] of sessions) {
        if (session.open <= 0 && now - session.lastSeen > idleMs) endSession(id);
      }
    },
    Math.min(60_000, idleMs / 2),
  );
  sweeper.unref();
  const url = `http://${host}:${port}`;
  warden.setEndpointBase(url);
  return {
    port,
    url,
    newUiCode: () => (ui as UiSessions).newCode(),
    connectionCaps: connections.caps,
    close: async () => {
      clearInterval(sweeper);
      offServers();
      offPolicy();
      offPins();
      for (const id of [...sessions.keys()]) endSession(id);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
