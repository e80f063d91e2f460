/**
 * The headless entry point:
 * `mcp-warden serve | connect | ui | check | decide | schema | init | wrap | unwrap | audit | deny-all | team`.
 * Each command is described once (main/commands/args.ts): that parses its arguments and prints its
 * `--help`. Errors are one clear line on stderr and a non-zero exit. No secret is ever taken from the
 * command line, which every local user can read (/proc/<pid>/cmdline, ps): tokens come from user-only
 * files, standard input (`-` as the file), the environment (readable by the user only) or tokens.json.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import packageJson from "../package.json" with { type: "json" };
import { policyJsonSchema } from "../shared/policy-schema.js";
import {
  type CommandSpec,
  checkOptions,
  command,
  commandHelp,
  parseCommand,
  topHelp,
  wantsHelp,
} from "./commands/args.js";
import { AUDIT, auditCommand } from "./commands/audit.js";
import { demoServer, thisCli, verifiedWarden } from "./commands/common.js";
import { DENY_ALL, denyAllCommand } from "./commands/deny-all.js";
import { INIT, initCommand } from "./commands/init.js";
import { CHECK, checkCommand, DECIDE, decideCommand } from "./commands/policy.js";
import { readSecrets, type SecretSource, STDIN } from "./commands/secrets.js";
import { TEAM, teamCommand } from "./commands/team.js";
import { UI, uiCommand } from "./commands/ui.js";
import { UNWRAP, unwrapCommand, WRAP, wrapCommand } from "./commands/wrap.js";
import { dataPaths, defaultDataDir, ensureTokens } from "./core/config/data-dir.js";
import { NotPrivateError, readSecretFile } from "./core/config/private-files.js";
import { capsNote } from "./core/limits-http.js";
import { runConnectBridge } from "./core/proxy/connect-bridge.js";
import { DEFAULT_PORT, DEMO_SERVER_NAME, StartupError, startRuntime } from "./core/runtime.js";

const DATA_DIR_HELP = "the data folder (default: the per-user one, or $MCP_WARDEN_HOME)";

const SERVE = command({
  name: "serve",
  summary: "run the warden: each MCP server behind a guarded local endpoint, with the UI and control API",
  options: {
    policy: { type: "string", arg: "FILE", help: "the policy (default: policy.json in the data folder)" },
    servers: {
      type: "string",
      arg: "FILE",
      help: "the servers to guard, in the mcpServers format (default: servers.json in the data folder)",
    },
    port: {
      type: "string",
      arg: "N",
      help: `the port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)`,
    },
    "token-file": {
      type: "string",
      arg: "FILE",
      help: 'a client token, read from a user-only file (- for standard input), under the grant name "cli"',
    },
    grant: {
      type: "string",
      arg: "NAME=@FILE",
      multiple: true,
      help: "a client token, read from a user-only file (@- for standard input), under a grant name",
    },
    "admin-token-file": {
      type: "string",
      arg: "FILE",
      help: "the control API's token, read from a user-only file (- for standard input; default: the one in tokens.json)",
    },
    token: {
      type: "string",
      refused: "use --token-file FILE (a file only you can read) or --token-file - (standard input)",
      help: "",
    },
    "admin-token": {
      type: "string",
      refused:
        "use --admin-token-file FILE (a file only you can read) or --admin-token-file - (standard input)",
      help: "",
    },
    "data-dir": { type: "string", arg: "DIR", help: DATA_DIR_HELP },
    demo: {
      type: "boolean",
      help: `add the stand-in server "${DEMO_SERVER_NAME}" (simulated VMs in memory; touches no hypervisor)`,
    },
  },
  details: [
    "On first run the data folder gets policy.json (a safe default), servers.json and tokens.json. The " +
      "warden picks up edits of the policy, servers.json and tokens.json while it runs. Stop it with Ctrl-C.",
    "Secrets never come from flags: a token file may be - to read the token from standard input (one " +
      "secret per run), e.g. pass show mcp-warden/admin | mcp-warden serve --admin-token-file -.",
    "The data folder and its files must be yours and not writable by others, or serve refuses to start. " +
      "The UI link it prints holds a one-time sign-in code (good once, for a few minutes); mcp-warden ui " +
      "prints a fresh one.",
  ],
});

const CONNECT = command({
  name: "connect",
  summary: "a stdio bridge to a running warden, for clients that only start stdio servers",
  positionals: [{ name: "<server>", help: "the server's name in the warden" }],
  options: {
    url: {
      type: "string",
      arg: "URL",
      help: "the server's endpoint (default: the running warden's, from runtime.json in the data folder)",
    },
    "token-file": {
      type: "string",
      arg: "FILE",
      help: "the client token, read from a user-only file (default: $MCP_WARDEN_TOKEN, else the default grant's)",
    },
    token: {
      type: "string",
      refused: "use --token-file FILE or set MCP_WARDEN_TOKEN in the client's env",
      help: "",
    },
    "data-dir": { type: "string", arg: "DIR", help: DATA_DIR_HELP },
  },
  details: [
    "Relays MCP messages between stdin/stdout and the warden until stdin closes.",
    "Before it sends the token, connect checks that the warden proves it holds the data folder's key " +
      "(warden.key): a warden that stopped, or another process on its port, gets nothing. With --url the " +
      "check uses the key of --data-dir too, and connect refuses when that folder has none.",
  ],
});

const SCHEMA = command({
  name: "schema",
  summary: "print the policy format as a JSON Schema",
  options: {},
});

/** Every command, in the order the top-level help lists them. */
const COMMANDS: readonly CommandSpec[] = [
  SERVE,
  CONNECT,
  UI,
  CHECK,
  DECIDE,
  SCHEMA,
  INIT,
  WRAP,
  UNWRAP,
  AUDIT,
  DENY_ALL,
  TEAM,
];

/** An error whose message is meant for the user as it is. */
class UsageError extends Error {}

/** Where the grants given with `--token-file` and `--grant NAME=@FILE` are: grant name → source. */
function grantSources(tokenFile: string | undefined, entries: readonly string[]): Map<string, SecretSource> {
  const grants = new Map<string, SecretSource>();
  if (tokenFile) grants.set("cli", { option: "--token-file", file: tokenFile, what: "the token file" });
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq < 1 || eq === entry.length - 1) throw new UsageError(`--grant takes NAME=@FILE, not "${entry}"`);
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (!value.startsWith("@") || value.length === 1)
      throw new UsageError(
        `--grant ${name}=… would put a token on the command line, where every local user can read it; ` +
          `put it in a file only you can read and pass --grant ${name}=@FILE, or pipe it in with --grant ${name}=@-`,
      );
    grants.set(name, {
      option: `--grant ${name}`,
      file: value.slice(1),
      what: `the token file of grant "${name}"`,
    });
  }
  return grants;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be 0–65535, not "${text}"`);
  return port;
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseCommand(SERVE, argv);
  const grants = grantSources(values["token-file"], values.grant ?? []);
  const adminTokenFile = values["admin-token-file"];
  const adminSource: SecretSource[] = adminTokenFile
    ? [{ option: "--admin-token-file", file: adminTokenFile, what: "the admin token file" }]
    : [];
  const secrets = await readSecrets([...grants.values(), ...adminSource]);
  const extraGrants = Object.fromEntries([...grants.keys()].map((name, i) => [name, secrets[i] as string]));
  const adminToken = adminTokenFile ? secrets[grants.size] : undefined;
  const runtime = await startRuntime({
    dataDir: values["data-dir"] ?? defaultDataDir(),
    port: parsePort(values.port),
    extraGrants,
    uiDir: fileURLToPath(new URL("./ui/", import.meta.url)),
    ...(values.policy ? { policyPath: values.policy } : {}),
    ...(values.servers ? { serversPath: values.servers } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(values.demo ? { demo: demoServer() } : {}),
    bridge: thisCli(),
  });
  const { warden, http, paths } = runtime;

  const out = process.stdout;
  out.write(`MCP Warden listening on ${http.url}\n`);
  out.write(`  policy:   ${runtime.policyPath}${warden.denyAll ? "  (Deny-all is ON)" : ""}\n`);
  out.write(`  servers:  ${runtime.serversPath}\n`);
  out.write(`  audit:    ${paths.audit}\n`);
  for (const name of warden.upstreams.keys()) {
    const label = name === DEMO_SERVER_NAME && values.demo ? "  (demo stand-in, not a real hypervisor)" : "";
    out.write(`  endpoint: ${http.url}/mcp/${name}${label}\n`);
  }
  const caps = capsNote(http.connectionCaps);
  if (caps) out.write(`  connections: ${caps}\n`);
  if (warden.upstreams.size === 0) {
    out.write(`  no servers yet: add them to ${runtime.serversPath} (mcpServers format)\n`);
  }
  for (const grant of runtime.grants.list()) {
    out.write(
      `  client token "${grant.name}": see ${grant.fromCommandLine ? "its --token-file / --grant file" : paths.tokens}\n`,
    );
  }
  // The link signs in once, within minutes: the admin token itself is never printed, so no log holds it.
  const uiLink = runtime.uiLink();
  if (uiLink) out.write(`  open the UI: ${uiLink}  (good once; mcp-warden ui prints a new link)\n`);
  const adminFrom =
    adminTokenFile === STDIN ? "the one read from standard input" : `in ${adminTokenFile ?? paths.tokens}`;
  out.write(`  control API: ${http.url}/api/<method> (admin token ${adminFrom})\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runtime.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

async function connect(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(CONNECT, argv);
  const server = positionals[0] as string;
  const dataDir = resolve(values["data-dir"] ?? defaultDataDir());
  const paths = dataPaths(dataDir);
  const tokenFile = values["token-file"];
  if (tokenFile === STDIN)
    throw new UsageError(
      "connect's standard input carries the MCP messages, so it cannot also carry the token: " +
        "give --token-file a file only you can read, or set MCP_WARDEN_TOKEN in the client's env",
    );
  const { base, fetch } = await verifiedWarden(dataDir, values.url);
  const token = tokenFile
    ? readSecretFile(tokenFile, "the token file")
    : (process.env.MCP_WARDEN_TOKEN ?? ensureTokens(paths.tokens).grants.default);
  if (!token) throw new UsageError("no client token: pass --token-file FILE or set MCP_WARDEN_TOKEN");
  await runConnectBridge({ url: values.url ?? `${base}/mcp/${encodeURIComponent(server)}`, token, fetch });
}

/** Runs the CLI; returns the exit code, or undefined for commands that keep running. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  try {
    const spec = COMMANDS.find((c) => c.name === name);
    if (spec && wantsHelp(spec, rest)) {
      process.stdout.write(commandHelp(spec));
      return 0;
    }
    // Every command's options are checked the same way, before it runs (each also parses its own).
    if (spec) checkOptions(spec, rest);
    switch (name) {
      case "serve":
        await serve(rest);
        return undefined;
      case "connect":
        await connect(rest);
        return 0;
      case "ui":
        return await uiCommand(rest);
      case "check":
        return checkCommand(rest);
      case "decide":
        return decideCommand(rest);
      case "schema":
        parseCommand(SCHEMA, rest);
        process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
        return 0;
      case "init":
        return await initCommand(rest);
      case "wrap":
        return wrapCommand(rest, DEFAULT_PORT);
      case "unwrap":
        return unwrapCommand(rest);
      case "audit":
        return await auditCommand(rest);
      case "deny-all":
        return await denyAllCommand(rest);
      case "team":
        return teamCommand(rest);
      case "help":
      case "--help":
      case "-h": {
        const about = COMMANDS.find((c) => c.name === rest[0]);
        process.stdout.write(about ? commandHelp(about) : topHelp(COMMANDS, packageJson.version));
        return 0;
      }
      case "--version":
      case "-v":
        process.stdout.write(`${packageJson.version}\n`);
        return 0;
      case undefined:
        process.stderr.write(`mcp-warden: no command given\n${topHelp(COMMANDS, packageJson.version)}`);
        return 2;
      default:
        process.stderr.write(
          `mcp-warden: ${name.startsWith("-") ? `unknown option "${name}"` : `unknown command "${name}"`}; ` +
            "see mcp-warden --help\n",
        );
        return 2;
    }
  } catch (error) {
    const known =
      error instanceof UsageError || error instanceof StartupError || error instanceof NotPrivateError;
    process.stderr.write(`mcp-warden: ${(error as Error).message}\n`);
    if (!known && process.env.MCP_WARDEN_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return known ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
