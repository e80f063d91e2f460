/**
 * MCP 2026-07-28's per-request envelope and routing headers: what every request carries instead of a
 * session (`_meta` with the protocol version, the client's capabilities and who it is), and the headers an
 * HTTP hop routes on (`Mcp-Method`, `Mcp-Name`). The front door checks them on what clients send; the
 * warden writes them on the requests it makes of a 2026-07-28 server itself.
 */

export const MODERN_PROTOCOL_VERSION = "2026-07-28";

/**
 * The legacy revisions (with the `initialize` handshake) the warden speaks, newest first: the same list as
 * the MCP SDK's own (a test keeps them equal), held here so the relay need not load the SDK's schemas.
 */
export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
  "2024-10-07",
];

/** 2026-07-28: the request needs a client capability it did not declare (the error names it). */
export const MISSING_CAPABILITY = -32021;

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
  // A plain value that reads as the encoded form is encoded too, so the far side decodes it back to itself.
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !/^=\?base64\?.*\?=$/i.test(value)
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

export const META_LOG_LEVEL = "io.modelcontextprotocol/logLevel";

/** The `_meta` keys of the per-request envelope. */
export const ENVELOPE_KEY =
  /^io\.modelcontextprotocol\/(protocolVersion|clientCapabilities|clientInfo|logLevel)$/;

/**
 * The envelope a legacy client's request carries to a 2026-07-28 server: what its `initialize` said
 * (its capabilities, without the legacy `tasks`, which 2026-07-28 moved to an extension it never declared;
 * who it is) and the log level it last set.
 */
export function legacyClientMeta(
  init: { capabilities?: unknown; clientInfo?: unknown },
  logLevel: string | undefined,
): Record<string, unknown> {
  const { tasks: _tasks, ...capabilities } =
    init.capabilities && typeof init.capabilities === "object"
      ? (init.capabilities as Record<string, unknown>)
      : {};
  return {
    [META_VERSION]: MODERN_PROTOCOL_VERSION,
    [META_CAPABILITIES]: capabilities,
    [META_CLIENT_INFO]:
      init.clientInfo && typeof init.clientInfo === "object"
        ? init.clientInfo
        : { name: "unknown", version: "0" },
    ...(logLevel ? { [META_LOG_LEVEL]: logLevel } : {}),
  };
}

/** A field name as HTTP allows it (RFC 9110 `token`). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The `Mcp-Param-*` headers a tool call mirrors (2026-07-28, `x-mcp-header`): for each property reachable
 * from the schema's root through `properties` alone whose schema names a header, the argument's value at
 * that path when it is a string, a boolean or a safe integer.
 */
export function paramHeaders(inputSchema: unknown, args: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  const walk = (schema: unknown, value: unknown, depth: number) => {
    if (depth > 16 || !schema || typeof schema !== "object") return;
    const properties = (schema as { properties?: unknown }).properties;
    if (!properties || typeof properties !== "object") return;
    const values = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
    for (const [key, property] of Object.entries(properties as Record<string, unknown>)) {
      if (!property || typeof property !== "object") continue;
      const name = (property as Record<string, unknown>)["x-mcp-header"];
      const v = Object.hasOwn(values, key) ? values[key] : undefined;
      if (typeof name === "string" && TOKEN.test(name)) {
        const text =
          typeof v === "string"
            ? v
            : typeof v === "boolean" || (typeof v === "number" && Number.isSafeInteger(v))
              ? String(v)
              : undefined;
        if (text !== undefined) headers[`mcp-param-${name.toLowerCase()}`] = headerValue(text);
      }
      walk(property, v, depth + 1);
    }
  };
  walk(inputSchema, args, 0);
  return headers;
}

/**
 * Why a tool's `x-mcp-header` annotations break the rules of 2026-07-28 (a name that is no HTTP token, a
 * name used twice ignoring case, an annotation on a property that is not a string, integer or boolean, or
 * one not reached from the root through `properties` alone), or undefined when they keep them. A client of
 * a server over HTTP must leave such a tool out of its list.
 */
export function headerAnnotationProblem(inputSchema: unknown): string | undefined {
  const seen = new Set<string>();
  const visit = (schema: unknown, reachable: boolean, depth: number): string | undefined => {
    if (depth > 32 || !schema || typeof schema !== "object") return undefined;
    if (Array.isArray(schema)) {
      for (const item of schema) {
        const problem = visit(item, false, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    const node = schema as Record<string, unknown>;
    const name = node["x-mcp-header"];
    if (name !== undefined) {
      if (!reachable) return "an x-mcp-header outside the properties reached from the root";
      if (typeof name !== "string" || !TOKEN.test(name))
        return `x-mcp-header ${JSON.stringify(name)} is not a header name`;
      if (seen.has(name.toLowerCase())) return `x-mcp-header "${name}" is used twice`;
      seen.add(name.toLowerCase());
      if (!["string", "integer", "boolean"].includes(String(node.type)))
        return `x-mcp-header "${name}" is on a property that is not a string, integer or boolean`;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "x-mcp-header") continue;
      const problem =
        key === "properties" && value && typeof value === "object" && !Array.isArray(value)
          ? Object.values(value as Record<string, unknown>)
              .map((property) => visit(property, reachable, depth + 1))
              .find(Boolean)
          : visit(value, false, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  return visit(inputSchema, true, 0);
}
