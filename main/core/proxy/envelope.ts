/**
 * MCP 2026-07-28's per-request envelope and routing headers: what every request carries instead of a
 * session (`_meta` with the protocol version, the client's capabilities and who it is), and the headers an
 * HTTP hop routes on (`Mcp-Method`, `Mcp-Name`). The front door checks them on what clients send; the
 * warden writes them on the requests it makes of a 2026-07-28 server itself.
 */

export const MODERN_PROTOCOL_VERSION = "2026-07-28";

export const META_VERSION = "io.modelcontextprotocol/protocolVersion";
export const META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
export const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
export const META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";

/**
 * Who a client says it is, from the `clientInfo` of its handshake (legacy `initialize` params, or the
 * 2026-07-28 `_meta` above): its display `title` when it gives one, else its `name`. Undefined when it
 * names itself not at all. Agent-chosen text: whoever shows it makes it safe to show.
 */
export function clientNameOf(info: unknown): string | undefined {
  if (!info || typeof info !== "object") return undefined;
  const { title, name } = info as { title?: unknown; name?: unknown };
  for (const value of [title, name]) {
    if (typeof value === "string" && value.trim()) return value.trim().slice(0, 200);
  }
  return undefined;
}

/** Who the warden says it is when it speaks for itself. */
export const WARDEN_CLIENT_INFO = { name: "mcp-warden", version: "0.1.0" } as const;

/** Requests of 2026-07-28, and which param `Mcp-Name` repeats. */
export const MODERN_METHODS: Readonly<Record<string, "name" | "uri" | "taskId" | undefined>> = {
  "server/discover": undefined,
  "tools/list": undefined,
  "tools/call": "name",
  "resources/list": undefined,
  "resources/templates/list": undefined,
  "resources/read": "uri",
  "prompts/list": undefined,
  "prompts/get": "name",
  "completion/complete": undefined,
  "subscriptions/listen": undefined,
  // The tasks extension's methods (the warden's own tasks, or the server's).
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

/** The warden's own envelope: it declares no client capabilities (it answers no server requests itself). */
export function wardenMeta(): Record<string, unknown> {
  return {
    [META_VERSION]: MODERN_PROTOCOL_VERSION,
    [META_CAPABILITIES]: {},
    [META_CLIENT_INFO]: WARDEN_CLIENT_INFO,
  };
}

/** A header value as 2026-07-28 writes it: plain when it is visible ASCII without edge spaces, else base64. */
export function headerValue(value: string): string {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value)
    ? value
    : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** `Mcp-Method` and, for the methods that name something, `Mcp-Name`, for a request the warden makes. */
export function routingHeaders(method: string, params: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = { "mcp-method": method };
  const nameParam = MODERN_METHODS[method];
  const name = nameParam ? params[nameParam] : undefined;
  if (typeof name === "string") headers["mcp-name"] = headerValue(name);
  return headers;
}
