/**
 * MCP clients' config files: where each client keeps them on macOS, Windows and Linux, where the servers
 * sit inside, which entries already point at the warden, and what an entry looks like once it goes through
 * the warden.
 *
 * - Claude Desktop: `claude_desktop_config.json`, `mcpServers`; it only starts stdio servers, so a wrapped
 *   entry runs the `mcp-warden connect` bridge.
 * - Cursor: `~/.cursor/mcp.json` (or a project's `.cursor/mcp.json`), `mcpServers`; remote entries are
 *   `{url, headers}`.
 * - Claude Code: `~/.claude.json`, `mcpServers` at the top and per project under `projects.<path>`, or a
 *   project's `.mcp.json`; remote entries are `{type: "http", url, headers}`.
 * - VS Code: the user profile's `mcp.json` or a workspace's `.vscode/mcp.json` (`servers`), or the older
 *   `mcp.servers` in the user `settings.json` (JSONC); remote entries are `{type: "http", url, headers}`.
 */
import { basename, dirname, posix, win32 } from "node:path";
import type { ClientId } from "../../../shared/clients.js";
import { formatJsonPath } from "../../../shared/policy-schema.js";
import { parseServers, type ServerConfig } from "../config/servers-config.js";
import type { JsonNode } from "./jsonc.js";

/** The machine a config is looked for on: passed in so tests can be any platform. */
export interface Place {
  platform: NodeJS.Platform;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The project folder, for project-level configs. */
  cwd: string;
}

/** How a wrapped client reaches the warden: by URL, or by starting the stdio bridge. */
export interface WardenReach {
  /** The warden's base URL as the client reaches it, e.g. `http://127.0.0.1:17430`. */
  url: string;
  /** The client's grant token. */
  token: string;
  /** The data folder the bridge reads the running warden's address from. */
  dataDir: string;
  /** The command that runs the CLI (the bridge appends `connect <server> …`). */
  bridge: BridgeCommand;
}

/** A command line that runs `mcp-warden` from a client's environment. */
export interface BridgeCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** What the warden knows to recognise entries that already point at it. */
export interface WardenIdentity {
  /** The warden's base URL (its port identifies it). */
  url: string;
  /** Grant tokens: an entry sending one of them points at this warden. */
  tokens: readonly string[];
  /** Paths of this warden's CLI script: a bridge entry running one of them points at this warden. */
  scripts?: readonly string[];
}

/** The fields of an entry that say how to reach a server; the rest (unknown fields) stay with the client. */
const CONNECTION_FIELDS = new Set([
  "type",
  "command",
  "args",
  "env",
  "envFile",
  "cwd",
  "url",
  "headers",
  "transport",
]);

/** Entry `type`s that say how to reach a server. */
const TRANSPORTS: Readonly<Record<string, "stdio" | "http" | "sse">> = {
  stdio: "stdio",
  http: "http",
  "streamable-http": "http",
  streamableHttp: "http",
  sse: "sse",
};

/** The token MCP Warden's bridge reads from its environment. */
export const BRIDGE_TOKEN_ENV = "MCP_WARDEN_TOKEN";

/** The config files a client reads, most usual first (the project's once, even when it is the home folder). */
export function clientConfigPaths(client: ClientId, place: Place): string[] {
  return [...new Set(candidatePaths(client, place))];
}

function candidatePaths(client: ClientId, place: Place): string[] {
  const join = place.platform === "win32" ? win32.join : posix.join;
  const { home, env, cwd } = place;
  const appData = env.APPDATA ?? join(home, "AppData", "Roaming");
  const config = env.XDG_CONFIG_HOME ?? join(home, ".config");
  const appDir = (name: string) => {
    if (place.platform === "darwin") return join(home, "Library", "Application Support", name);
    return place.platform === "win32" ? join(appData, name) : join(config, name);
  };
  switch (client) {
    case "claude-desktop":
      return [join(appDir("Claude"), "claude_desktop_config.json")];
    case "cursor":
      return [join(home, ".cursor", "mcp.json"), join(cwd, ".cursor", "mcp.json")];
    case "claude-code":
      return [
        ...(env.CLAUDE_CONFIG_DIR ? [join(env.CLAUDE_CONFIG_DIR, ".claude.json")] : []),
        join(home, ".claude.json"),
        join(cwd, ".mcp.json"),
      ];
    case "vscode":
      return [
        join(appDir("Code"), "User", "mcp.json"),
        join(appDir("Code"), "User", "settings.json"),
        join(cwd, ".vscode", "mcp.json"),
      ];
  }
}

/** Where a client's file keeps servers: paths to objects mapping a name to an entry. */
export function serverContainers(client: ClientId, file: string, root: JsonNode): string[][] {
  if (client === "vscode")
    return /(^|[\\/])settings\.json$/.test(file) ? [["mcp", "servers"]] : [["servers"]];
  const top = [["mcpServers"]];
  if (client !== "claude-code") return top;
  const projects = root.properties?.findLast((p) => p.key === "projects")?.value.properties ?? [];
  return [...top, ...projects.map((p) => ["projects", p.key, "mcpServers"])];
}

/** How a container path and entry name are shown: `projects["/home/me/app"].mcpServers.github`. */
export function entryLabel(container: readonly string[], name: string): string {
  return formatJsonPath([...container, name]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" || host === "::1";
}

/**
 * The warden server an entry reaches, if it points at this warden: its URL on loopback (the warden's port,
 * or one of its tokens), or the bridge (`mcp-warden connect`, this CLI's script, or the bridge's token
 * variable).
 */
export function wardenServerOf(entry: unknown, warden: WardenIdentity): string | undefined {
  if (!isRecord(entry)) return undefined;
  if (typeof entry.url === "string") {
    let url: URL;
    try {
      url = new URL(entry.url);
    } catch {
      return undefined;
    }
    const path = /^\/mcp\/([^/]+)\/?$/.exec(url.pathname);
    if (!path?.[1] || !isLoopback(url.hostname)) return undefined;
    const headers = isRecord(entry.headers) ? entry.headers : {};
    const auth = Object.entries(headers).find(([k]) => k.toLowerCase() === "authorization")?.[1];
    const bearer = typeof auth === "string" ? auth.replace(/^Bearer\s+/i, "") : undefined;
    const samePort = url.port === new URL(warden.url).port;
    return samePort || (bearer !== undefined && warden.tokens.includes(bearer))
      ? decodeURIComponent(path[1])
      : undefined;
  }
  if (typeof entry.command !== "string") return undefined;
  const words = [entry.command, ...(Array.isArray(entry.args) ? entry.args : [])].map(String);
  const connect = words.indexOf("connect");
  const server = words[connect + 1];
  if (connect < 0 || server === undefined) return undefined;
  const env = isRecord(entry.env) ? entry.env : {};
  const isWarden = words
    .slice(0, connect)
    .some((w) => /(^|[\\/])mcp-warden(\.cmd|\.exe|\.ps1)?$/i.test(w) || warden.scripts?.includes(w));
  return isWarden || BRIDGE_TOKEN_ENV in env ? server : undefined;
}

/** True for an entry the client has turned off. */
export function isDisabled(entry: unknown): boolean {
  return isRecord(entry) && (entry.disabled === true || entry.enabled === false);
}

/** Every string inside a value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isRecord(value)) return Object.values(value).flatMap(strings);
  return [];
}

/**
 * The folder a client starts a project's stdio servers in, for entries that belong to a project: Claude
 * Code's `projects.<path>` and a project's `.mcp.json`, VS Code's `.vscode/mcp.json`. A moved server gets it
 * as its `cwd`, so relative paths in its command still resolve when the warden starts it.
 */
export function projectFolder(
  client: ClientId,
  file: string,
  container: readonly string[],
): string | undefined {
  if (client === "claude-code" && container[0] === "projects") return container[1];
  if (client === "claude-code" && basename(file) === ".mcp.json") return dirname(file);
  if (client === "vscode" && basename(file) === "mcp.json" && basename(dirname(file)) === ".vscode")
    return dirname(dirname(file));
  return undefined;
}

/**
 * The servers-file entry an entry becomes, or why it cannot move into the warden. A stdio server without a
 * `cwd` gets `folder` (see projectFolder).
 */
export function serverConfigOf(
  entry: unknown,
  folder?: string,
): { config: ServerConfig } | { problem: string } {
  if (!isRecord(entry)) return { problem: "not an object" };
  const type = entry.type;
  const transport = type === undefined ? undefined : TRANSPORTS[String(type)];
  if (type !== undefined && !transport)
    return { problem: `type ${JSON.stringify(type)} is not one the warden speaks` };
  if ("envFile" in entry) return { problem: "it reads an envFile, which only the client loads" };
  const connection = Object.fromEntries(Object.entries(entry).filter(([k]) => CONNECTION_FIELDS.has(k)));
  if (strings(connection).some((s) => s.includes("${")))
    return { problem: `it uses \${…} variables, which only the client fills in` };
  const config: Record<string, unknown> = {};
  for (const key of ["command", "args", "env", "cwd", "url", "headers"] as const) {
    if (entry[key] !== undefined) config[key] = entry[key];
  }
  if (transport === "sse" && typeof entry.url === "string") config.transport = "sse";
  if (folder !== undefined && config.command !== undefined && config.cwd === undefined) config.cwd = folder;
  const parsed = parseServers({ mcpServers: { entry: config } });
  if (!parsed.ok) {
    const [first] = parsed.errors;
    return {
      problem: first
        ? `${first.path.replace(/^mcpServers\.entry\.?/, "") || "entry"}: ${first.message}`
        : "invalid",
    };
  }
  return { config: parsed.servers.mcpServers.entry as ServerConfig };
}

/** How each client reaches a server through the warden. */
const REACH: Readonly<Record<ClientId, "bridge" | "url" | "typed-url">> = {
  "claude-desktop": "bridge",
  cursor: "url",
  "claude-code": "typed-url",
  vscode: "typed-url",
};

/** Whether a client reaches the warden by starting the stdio bridge (rather than by URL). */
export function reachesByBridge(client: ClientId): boolean {
  return REACH[client] === "bridge";
}

/** The entry a client gets for `server` behind the warden; the original's unknown fields are kept. */
export function wrappedEntry(
  client: ClientId,
  original: Readonly<Record<string, unknown>>,
  server: string,
  reach: WardenReach,
): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(original).filter(([k]) => !CONNECTION_FIELDS.has(k)));
  const how = REACH[client];
  if (how === "bridge") {
    return {
      command: reach.bridge.command,
      args: [...reach.bridge.args, "connect", server, "--data-dir", reach.dataDir],
      env: { ...reach.bridge.env, [BRIDGE_TOKEN_ENV]: reach.token },
      ...kept,
    };
  }
  return {
    ...(how === "typed-url" ? { type: "http" } : {}),
    url: `${reach.url}/mcp/${encodeURIComponent(server)}`,
    headers: { Authorization: `Bearer ${reach.token}` },
    ...kept,
  };
}
