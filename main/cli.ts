/**
 * The headless entry point:
 * `mcp-warden serve | connect | check | decide | schema | init | wrap | unwrap | audit`.
 * Each command is described once (main/commands/args.ts): that parses its arguments and prints its
 * `--help`. Errors are one clear line on stderr and a non-zero exit.
 */
import { existsSync, readFileSync } from "node:fs";
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
import { demoServer, thisCli } from "./commands/common.js";
import { DENY_ALL, denyAllCommand } from "./commands/deny-all.js";
import { INIT, initCommand } from "./commands/init.js";
import { CHECK, checkCommand, DECIDE, decideCommand } from "./commands/policy.js";
import { UNWRAP, unwrapCommand, WRAP, wrapCommand } from "./commands/wrap.js";
import { dataPaths, defaultDataDir, ensureTokens } from "./core/config/data-dir.js";
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
    token: { type: "string", arg: "T", help: 'a client token, under the grant name "cli"' },
    grant: { type: "string", arg: "NAME=T", multiple: true, help: "a client token under a grant name" },
    "admin-token": {
      type: "string",
      arg: "T",
      help: "the control API's token (default: the one in tokens.json)",
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
    token: {
      type: "string",
      arg: "T",
      help: "the client token (default: $MCP_WARDEN_TOKEN, else the default grant's)",
    },
    "data-dir": { type: "string", arg: "DIR", help: DATA_DIR_HELP },
  },
  details: ["Relays MCP messages between stdin/stdout and the warden until stdin closes."],
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
  CHECK,
  DECIDE,
  SCHEMA,
  INIT,
  WRAP,
  UNWRAP,
  AUDIT,
  DENY_ALL,
];

/** An error whose message is meant for the user as it is. */
class UsageError extends Error {}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
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
  const extraGrants: Record<string, string> = {};
  if (values.token) extraGrants.cli = values.token;
  for (const entry of values.grant ?? []) {
    const eq = entry.indexOf("=");
    if (eq < 1 || eq === entry.length - 1) throw new UsageError(`--grant takes NAME=TOKEN, not "${entry}"`);
    extraGrants[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const runtime = await startRuntime({
    dataDir: values["data-dir"] ?? defaultDataDir(),
    port: parsePort(values.port),
    extraGrants,
    uiDir: fileURLToPath(new URL("./ui/", import.meta.url)),
    ...(values.policy ? { policyPath: values.policy } : {}),
    ...(values.servers ? { serversPath: values.servers } : {}),
    ...(values["admin-token"] ? { adminToken: values["admin-token"] } : {}),
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
  if (warden.upstreams.size === 0) {
    out.write(`  no servers yet: add them to ${runtime.serversPath} (mcpServers format)\n`);
  }
  for (const grant of runtime.grants.list()) {
    out.write(
      `  client token "${grant.name}": see ${grant.fromCommandLine ? "the command line" : paths.tokens}\n`,
    );
  }
  if (runtime.uiUrl) out.write(`  open the UI: ${runtime.uiUrl}\n`);
  out.write(
    `  control API: ${http.url}/api/<method> (admin token in ${values["admin-token"] ? "--admin-token" : paths.tokens})\n`,
  );

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
  const paths = dataPaths(resolve(values["data-dir"] ?? defaultDataDir()));
  let url = values.url;
  if (!url) {
    if (!existsSync(paths.runtime))
      throw new UsageError(`no running warden found (${paths.runtime}); start mcp-warden serve`);
    const runtime = JSON.parse(readText(paths.runtime, "runtime file")) as { url: string };
    url = `${runtime.url}/mcp/${encodeURIComponent(server)}`;
  }
  const token = values.token ?? process.env.MCP_WARDEN_TOKEN ?? ensureTokens(paths.tokens).grants.default;
  if (!token) throw new UsageError("no client token: pass --token or set MCP_WARDEN_TOKEN");
  await runConnectBridge({ url, token });
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
    const known = error instanceof UsageError || error instanceof StartupError;
    process.stderr.write(`mcp-warden: ${(error as Error).message}\n`);
    if (!known && process.env.MCP_WARDEN_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return known ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
