/**
 * `mcp-warden wrap --client C` and `mcp-warden unwrap --client C`: put a client's MCP servers behind the
 * warden, and take them back out.
 *
 * Clients that cannot send headers to a remote server (Claude Desktop) start the bridge with the absolute
 * paths of this Node.js and this CLI: GUI apps on macOS do not inherit the shell's PATH, so `npx` or a bare
 * `mcp-warden` is often not found there, while absolute paths work from any environment. The client's
 * token goes in the entry's `env` (MCP_WARDEN_TOKEN), not its arguments, so other users cannot read it in
 * the process list.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CLIENT_LABELS, CLIENTS, type ClientId, type EntryResult } from "../../shared/clients.js";
import { clientConfigPaths } from "../core/clients/client-configs.js";
import { defaultConfigPath, NotWrappedError, unwrapClient, wrapClient } from "../core/clients/client-wrap.js";
import { dataPaths, ensureTokens } from "../core/config/data-dir.js";
import { command, parseCommand } from "./args.js";
import { asUserError, dataDirFrom, runningWarden, thisCli, userError, wardenUrlFrom } from "./common.js";

const CLIENT_OPTION = {
  type: "string",
  arg: "CLIENT",
  help: `the client: ${CLIENTS.join(", ")}`,
  required: true,
} as const;
const DATA_DIR_OPTION = {
  type: "string",
  arg: "DIR",
  help: "the warden's data folder (default: the per-user one, or $MCP_WARDEN_HOME)",
} as const;

export const WRAP = command({
  name: "wrap",
  summary: "put an MCP client's servers behind the warden (a backup of its config is kept)",
  options: {
    client: CLIENT_OPTION,
    config: {
      type: "string",
      arg: "PATH",
      help: "the client's config file (default: found where it keeps it)",
    },
    "data-dir": DATA_DIR_OPTION,
    servers: {
      type: "string",
      arg: "FILE",
      help: "the warden's servers file to move them into (default: servers.json in the data folder)",
    },
    url: {
      type: "string",
      arg: "URL",
      help: "the warden's address as the client reaches it (default: the running warden's, else http://127.0.0.1:17430)",
    },
  },
  details: [
    "The client's servers move into the warden's servers file and its entries are rewritten to go through the " +
      "warden, with a client token of their own (grant named after the client). Wrapping twice changes nothing; " +
      "mcp-warden unwrap puts everything back.",
  ],
});

export const UNWRAP = command({
  name: "unwrap",
  summary: "undo wrap: restore the client's config and take its servers out of the warden",
  options: {
    client: CLIENT_OPTION,
    config: { type: "string", arg: "PATH", help: "which wrapped config file, when the client has several" },
    "data-dir": DATA_DIR_OPTION,
  },
  details: [
    "The file is restored byte for byte, or, if you edited it since, the original entries are put back and your " +
      "edits kept. The moved servers are removed unless you changed them, and the client's token is revoked.",
  ],
});

function clientFrom(value: string | undefined): ClientId {
  const client = CLIENTS.find((c) => c === value);
  if (!client) throw userError(`--client must be one of ${CLIENTS.join(", ")}`);
  return client;
}

/** The client's config file: `--config`, else the first of its usual files that has servers. */
function configFor(client: ClientId, option: string | undefined, url: string, dataDir: string): string {
  if (option) return option;
  const place = { platform: process.platform, home: homedir(), env: process.env, cwd: process.cwd() };
  const tokensPath = dataPaths(dataDir).tokens;
  const tokens = existsSync(tokensPath) ? Object.values(ensureTokens(tokensPath).grants) : [];
  const chosen = defaultConfigPath(client, place, { url, tokens });
  if (!chosen) {
    const looked = clientConfigPaths(client, place).join(", ");
    throw userError(`no ${CLIENT_LABELS[client]} config found (looked in ${looked}); pass --config PATH`);
  }
  return chosen;
}

/** The git work tree a file is in, if any: a token written there could be committed. */
function repositoryOf(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const OUTCOMES: Readonly<Record<EntryResult["outcome"], string>> = {
  moved: "moved",
  "already-wrapped": "already wrapped",
  disabled: "left alone",
  unsupported: "left alone",
};

function describe(entry: EntryResult): string {
  const what = OUTCOMES[entry.outcome].padEnd(16);
  if (entry.outcome === "moved")
    return `  ${what}${entry.label} → warden server "${entry.server}"${entry.note ? ` (${entry.note})` : ""}`;
  if (entry.outcome === "already-wrapped") return `  ${what}${entry.label} (warden server "${entry.server}")`;
  return `  ${what}${entry.label}: ${entry.note}`;
}

/** `mcp-warden wrap --client C [--config PATH] [--data-dir DIR] [--servers FILE] [--url URL]` */
export function wrapCommand(argv: string[], defaultPort: number): number {
  const { values } = parseCommand(WRAP, argv);
  const client = clientFrom(values.client);
  const dataDir = dataDirFrom(values["data-dir"]);
  const wardenUrl = wardenUrlFrom(values.url, dataDir, defaultPort);
  const configPath = asUserError(() => configFor(client, values.config, wardenUrl, dataDir));
  const result = asUserError(() =>
    wrapClient({
      client,
      configPath,
      dataDir,
      wardenUrl,
      bridge: thisCli(),
      ...(values.servers ? { serversPath: values.servers } : {}),
    }),
  );
  const out = process.stdout;
  const label = CLIENT_LABELS[client];
  out.write(`${label}: ${result.configPath}\n`);
  for (const entry of result.entries) out.write(`${describe(entry)}\n`);
  if (result.entries.length === 0) out.write("  no MCP servers in this file\n");
  if (!result.changed) {
    out.write("Nothing to wrap; no file was changed.\n");
    return 0;
  }
  const added = result.entries.filter((e) => e.outcome === "moved").length;
  const repository = repositoryOf(result.configPath);
  if (repository) {
    out.write(
      `warning:  this file is in the git repository ${repository}: the client token is now in it; keep it ` +
        "out of commits (.gitignore)\n",
    );
  }
  out.write(`backup:   ${result.backup}\n`);
  out.write(`servers:  ${result.serversPath} (${added} moved in)\n`);
  out.write(`token:    grant "${result.grant}" in ${dataPaths(dataDir).tokens}\n`);
  const running = runningWarden(dataDir);
  out.write(
    running
      ? `The running warden (pid ${running.pid}, ${running.url}) picks up the moved servers and ${label}'s ` +
          `token at once (it watches servers.json and tokens.json): just restart ${label}. `
      : `Start the warden (mcp-warden serve, or the tray app) to run the moved servers, then restart ${label}. `,
  );
  out.write(`mcp-warden unwrap --client ${client} puts everything back.\n`);
  return 0;
}

/** `mcp-warden unwrap --client C [--config PATH] [--data-dir DIR]` */
export function unwrapCommand(argv: string[]): number {
  const { values } = parseCommand(UNWRAP, argv);
  const client = clientFrom(values.client);
  let notWrapped: string | undefined;
  const result = asUserError(() => {
    try {
      return unwrapClient({
        client,
        dataDir: dataDirFrom(values["data-dir"]),
        ...(values.config ? { configPath: values.config } : {}),
      });
    } catch (error) {
      if (!(error instanceof NotWrappedError)) throw error;
      notWrapped = error.message;
      return undefined;
    }
  });
  if (!result) {
    // Unwrapping twice, like wrapping twice, changes nothing and says so.
    process.stdout.write(`${notWrapped}: nothing to put back; no file was changed.\n`);
    return 0;
  }
  const out = process.stdout;
  out.write(`${CLIENT_LABELS[client]}: ${result.configPath}\n`);
  if (result.exact) out.write("  restored byte for byte from the backup\n");
  else {
    out.write(
      "  the file changed since it was wrapped: the original entries were put back, other changes kept\n",
    );
    for (const label of result.restored) out.write(`  put back   ${label}\n`);
  }
  if (result.removedServers.length)
    out.write(`  servers removed from the warden: ${result.removedServers.join(", ")}\n`);
  for (const kept of result.keptServers) out.write(`  server "${kept.server}" kept: ${kept.why}\n`);
  if (result.grantRemoved) out.write(`  token "${client}" revoked\n`);
  return 0;
}
