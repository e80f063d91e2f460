/**
 * MCP 2026-07-28 downstream: no sessions, no initialize. Each POST is one request carrying the protocol
 * version and the client's capabilities in `_meta`, checked against the `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` headers. `server/discover` is answered from the upstream's own handshake;
 * every other request goes, as it was sent, to the client's lane for that set of capabilities (a legacy
 * connection the warden keeps), and the answer comes back with what 2026-07-28 requires of a result
 * (`resultType`, and caching hints on lists and reads). The policy, limits, approvals and audit are the
 * same as in the legacy era: the request passes through the same relay.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { UnreadBytes } from "./backpressure.js";
import { ClientSession, TASKS_EXTENSION } from "./client-session.js";
import {
  META_CAPABILITIES,
  META_CLIENT_INFO,
  META_SERVER_INFO,
  META_VERSION,
  MODERN_METHODS,
  MODERN_PROTOCOL_VERSION,
} from "./envelope.js";
import type { CallGate } from "./gate.js";
import { HttpChannel } from "./http-channel.js";
import type { ModernRequest } from "./lane.js";
import {
  errorResponse,
  kindOf,
  methodOf,
  paramsOf,
  type RawMessage,
  rawIdOf,
  spanAt,
  splice,
} from "./raw-json.js";
import { type Upstream, WARDEN_PROTOCOL_VERSION } from "./upstream.js";

/** The revisions served without sessions. */
export const MODERN_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSION];

const METHODS = MODERN_METHODS;

/** Results that carry caching hints in 2026-07-28. */
const CACHEABLE = new Set([
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "prompts/list",
  "resources/read",
]);

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether a POST without a session speaks 2026-07-28 (or claims to): its `_meta` or its header says so. */
export function isModernRequest(req: IncomingMessage, messages: readonly RawMessage[]): boolean {
  const [first] = messages;
  if (messages.length !== 1 || !first) return false;
  const meta = paramsOf(first)._meta as Record<string, unknown> | undefined;
  if (meta && typeof meta === "object" && META_VERSION in meta) return true;
  const version = header(req, "mcp-protocol-version");
  return version !== undefined && !isLegacyVersion(version) && methodOf(first) !== "initialize";
}

function isLegacyVersion(version: string): boolean {
  return version < "2026-07-28" && /^\d{4}-\d{2}-\d{2}$/.test(version);
}

/** A header value as sent: plain, or `=?base64?…?=` for what plain ASCII cannot carry. */
function decodeHeader(value: string): string | undefined {
  const trimmed = value.trim();
  const m = /^=\?base64\?(.*)\?=$/.exec(trimmed);
  if (!m) return trimmed;
  const data = m[1] ?? "";
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(data)) return undefined;
  return Buffer.from(data, "base64").toString("utf8");
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(text);
}

/** What the front door checks before anything is relayed; undefined when the request may go on. */
function refusal(req: IncomingMessage, message: RawMessage): { status: number; text: string } | undefined {
  const id = rawIdOf(message)?.text ?? "null";
  const method = methodOf(message) ?? "";
  const mismatch = (why: string) => ({
    status: 400,
    text: errorResponse(id, -32020, `Header mismatch: ${why}`),
  });
  const sentMethod = header(req, "mcp-method");
  if (sentMethod === undefined) return mismatch("the Mcp-Method header is missing");
  if (sentMethod.trim() !== method)
    return mismatch(`Mcp-Method header value '${sentMethod}' does not match body value '${method}'`);
  const meta = paramsOf(message)._meta as Record<string, unknown> | undefined;
  const version = meta && typeof meta === "object" ? meta[META_VERSION] : undefined;
  const sentVersion = header(req, "mcp-protocol-version");
  if (sentVersion !== undefined && typeof version === "string" && sentVersion.trim() !== version)
    return mismatch(
      `MCP-Protocol-Version header value '${sentVersion}' does not match body value '${version}'`,
    );
  const capabilities = meta && typeof meta === "object" ? meta[META_CAPABILITIES] : undefined;
  if (
    typeof version !== "string" ||
    !capabilities ||
    typeof capabilities !== "object" ||
    Array.isArray(capabilities)
  )
    return {
      status: 400,
      text: errorResponse(
        id,
        -32602,
        `Invalid params: every request carries _meta["${META_VERSION}"] and _meta["${META_CAPABILITIES}"]`,
      ),
    };
  if (sentVersion === undefined) return mismatch("the MCP-Protocol-Version header is missing");
  if (!MODERN_VERSIONS.includes(version))
    return {
      status: 400,
      text: errorResponse(id, -32022, "Unsupported protocol version", {
        supported: MODERN_VERSIONS,
        requested: version,
      }),
    };
  if (!(method in METHODS))
    return { status: 404, text: errorResponse(id, -32601, `Method not found: ${method}`) };
  const nameParam = METHODS[method];
  if (nameParam) {
    const sentName = header(req, "mcp-name");
    const bodyName = paramsOf(message)[nameParam];
    if (sentName === undefined) return mismatch("the Mcp-Name header is missing");
    const decoded = decodeHeader(sentName);
    if (decoded === undefined) return mismatch("the Mcp-Name header is not valid base64");
    if (decoded !== bodyName)
      return mismatch(`Mcp-Name header value '${decoded}' does not match body value '${String(bodyName)}'`);
  }
  return undefined;
}

/** The HTTP status 2026-07-28 gives an answer: errors about the request itself are not a 200. */
function statusOf(text: string): number {
  const span = spanAt(text, ["error", "code"]);
  const code = span ? text.slice(span[0], span[1]) : undefined;
  if (code === "-32601") return 404;
  if (code === "-32020" || code === "-32021" || code === "-32022") return 400;
  return 200;
}

/** The upstream's capabilities as a 2026-07-28 server states them. */
function discoverCapabilities(upstream: Upstream): Record<string, unknown> {
  const { tasks: _tasks, ...caps } = upstream.capabilities as Record<string, unknown>;
  if (caps.tools && typeof caps.tools === "object") caps.tools = { ...caps.tools, listChanged: true };
  // A call that waits for a human becomes a task of the warden's for clients that take the extension.
  caps.extensions = { ...(caps.extensions as object | undefined), [TASKS_EXTENSION]: {} };
  return caps;
}

/** The options a 2026-07-28 request is served with. */
export interface ModernContext {
  warden: CallGate;
  upstream: Upstream;
  grant: string;
  keepAliveMs?: number;
  /** What each client leaves unread (the cap on it cuts a client off, not the warden). */
  unread: UnreadBytes;
}

/** Serves one 2026-07-28 POST. */
export async function serveModern(
  req: IncomingMessage,
  res: ServerResponse,
  message: RawMessage,
  ctx: ModernContext,
): Promise<void> {
  const kind = kindOf(message.value);
  if (kind !== "request") {
    // 2026-07-28 has no client-to-server notifications over HTTP, and no server requests to answer.
    res.writeHead(202).end();
    return;
  }
  const refused = refusal(req, message);
  if (refused) return send(res, refused.status, refused.text);
  const id = rawIdOf(message)?.text ?? "null";
  const method = methodOf(message) ?? "";
  const { upstream } = ctx;
  if (!(await upstream.whenReady(10_000)))
    return send(
      res,
      200,
      errorResponse(id, -32603, `MCP Warden: server "${upstream.name}" is not connected (${upstream.state})`),
    );
  if (method === "server/discover") return send(res, 200, discover(id, upstream));
  if (method === "subscriptions/listen") return listen(res, message, ctx);

  const meta = paramsOf(message)._meta as Record<string, unknown>;
  const capabilities = meta[META_CAPABILITIES] as Record<string, unknown>;
  // What the client can be asked (sampling, elicitation, roots) it is asked through its call's answer:
  // the lane tells the server what the client declared.
  const channel = new HttpChannel({ statusOf, client: ctx.grant, unread: ctx.unread });
  const session = new ClientSession({
    warden: ctx.warden,
    upstream,
    grant: ctx.grant,
    sessionId: "2026-07-28",
    outlet: channel,
    answer: (text) => modernAnswer(method, text),
    modern: true,
    clientInfo: meta[META_CLIENT_INFO],
    ...(ctx.keepAliveMs ? { keepAliveMs: ctx.keepAliveMs } : {}),
  });
  // Closing the response stream is how a 2026-07-28 client cancels.
  res.once("close", () => session.close());
  const opened = await session.openLane({
    grant: ctx.grant,
    capabilities,
    protocolVersion: MODERN_PROTOCOL_VERSION,
    paramsText: JSON.stringify({
      protocolVersion: WARDEN_PROTOCOL_VERSION,
      capabilities,
      clientInfo: meta[META_CLIENT_INFO] ?? { name: "2026-07-28 client", version: "unknown" },
    }),
  });
  if (opened) return send(res, 200, errorResponse(id, -32603, `MCP Warden: ${opened}`));
  // On to a 2026-07-28 server with the headers its hop needs: the method, the name, the client's Mcp-Param-*.
  const headers: Record<string, string> = { "mcp-method": method };
  for (const [key, value] of Object.entries(req.headers)) {
    if ((key === "mcp-name" || key.startsWith("mcp-param-")) && typeof value === "string")
      headers[key] = value;
  }
  const forwarded: ModernRequest = { text: message.text, value: message.value, headers };
  channel.handlePost(res, [forwarded], false, session);
}

/** The answer to server/discover, from what the upstream said in the warden's own handshake. */
function discover(idJson: string, upstream: Upstream): string {
  const result = {
    resultType: "complete",
    supportedVersions: MODERN_VERSIONS,
    capabilities: discoverCapabilities(upstream),
    ...(upstream.instructions ? { instructions: upstream.instructions } : {}),
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [META_SERVER_INFO]: upstream.serverInfo ?? { name: upstream.name, version: "unknown" } },
  };
  return `{"jsonrpc":"2.0","id":${idJson},"result":${JSON.stringify(result)}}`;
}

/**
 * A legacy answer made a 2026-07-28 one: `resultType` (and, on lists and reads, caching hints the warden
 * can honestly give: nothing may be cached across clients, since the policy decides per client) added at
 * the front of the result; a legacy "resource not found" (-32002) becomes -32602. The rest is untouched.
 */
export function modernAnswer(method: string, text: string): string {
  const resultSpan = spanAt(text, ["result"]);
  if (!resultSpan) {
    if (method === "resources/read" && /"code"\s*:\s*-32002\b/.test(text)) {
      const code = spanAt(text, ["error", "code"]);
      if (code) return splice(text, code, "-32602");
    }
    return text;
  }
  const members = new Set<string>();
  const result = JSON.parse(text.slice(resultSpan[0], resultSpan[1])) as Record<string, unknown>;
  for (const key of Object.keys(result)) members.add(key);
  const added: string[] = [];
  if (!members.has("resultType")) added.push('"resultType":"complete"');
  if (CACHEABLE.has(method) && result.resultType === undefined) {
    if (!members.has("ttlMs")) added.push('"ttlMs":0');
    if (!members.has("cacheScope")) added.push('"cacheScope":"private"');
  }
  if (added.length === 0) return text;
  const open = resultSpan[0] + 1;
  const empty = Object.keys(result).length === 0;
  return `${text.slice(0, open)}${added.join(",")}${empty ? "" : ","}${text.slice(open)}`;
}

/**
 * subscriptions/listen: a long-lived event stream. The first event acknowledges what will be sent (the
 * tool list always, since the policy can change it; prompts and resources where the server announces
 * changes); then each change, tagged with the listen request's id.
 */
function listen(res: ServerResponse, message: RawMessage, ctx: ModernContext): void {
  const idText = rawIdOf(message)?.text ?? "null";
  const asked = (paramsOf(message).notifications ?? {}) as Record<string, unknown>;
  const caps = ctx.upstream.capabilities as Record<string, { listChanged?: boolean } | undefined>;
  const honoured: Record<string, boolean> = {};
  if (asked.toolsListChanged === true) honoured.toolsListChanged = true;
  if (asked.promptsListChanged === true && caps.prompts?.listChanged) honoured.promptsListChanged = true;
  if (asked.resourcesListChanged === true && caps.resources?.listChanged)
    honoured.resourcesListChanged = true;
  const tag = `"_meta":{"io.modelcontextprotocol/subscriptionId":${idText}}`;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
  });
  const event = (text: string) => ctx.unread.write(ctx.grant, res, `event: message\ndata: ${text}\n\n`);
  event(
    `{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{${tag},"notifications":${JSON.stringify(honoured)}}}`,
  );
  const changed = (kind: "tools" | "prompts" | "resources") => {
    if (!honoured[`${kind}ListChanged`]) return;
    event(`{"jsonrpc":"2.0","method":"notifications/${kind}/list_changed","params":{${tag}}}`);
  };
  const offs = [
    ctx.warden.events.on("policy", () => changed("tools")),
    ctx.warden.events.on("toolChanges", () => changed("tools")),
    ctx.upstream.on("toolsChanged", () => changed("tools")),
    ctx.upstream.on("listChanged", (kind) => changed(kind)),
  ];
  const ping = setInterval(() => ctx.unread.write(ctx.grant, res, ": keep-alive\n\n"), 15_000);
  res.once("close", () => {
    clearInterval(ping);
    for (const off of offs) off();
  });
}
