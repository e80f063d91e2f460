/**
 * The headless entry point: `mcp-warden serve | connect | check | decide | schema | init | wrap | unwrap`.
 * Errors are one clear line on stderr and a non-zero exit.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { policyJsonSchema } from "../shared/policy-schema.js";
import { thisCli } from "./commands/common.js";
import { initCommand } from "./commands/init.js";
import { unwrapCommand, wrapCommand } from "./commands/wrap.js";
import { runConnectBridge } from "./core/connect-bridge.js";
import { dataPaths, defaultDataDir, ensureTokens } from "./core/data-dir.js";
import { RateLimiter } from "./core/limits.js";
import { loadPolicy } from "./core/policy/compile.js";
import { decide } from "./core/policy/decide.js";
import { DEFAULT_PORT, DEMO_SERVER_NAME, StartupError, startRuntime } from "./core/runtime.js";
import type { ServersFile } from "./core/servers-config.js";

const USAGE = `usage:
  mcp-warden serve   [--policy FILE] [--servers FILE] [--port N] [--token T] [--grant NAME=T]...
                     [--admin-token T] [--data-dir DIR] [--demo]
  mcp-warden connect <server> [--url URL] [--token T] [--data-dir DIR]
  mcp-warden check   <policy.json>
  mcp-warden decide  --policy FILE --tool NAME [--server NAME] [--client NAME] [--args JSON]
  mcp-warden schema  (prints the policy format as a JSON Schema)
  mcp-warden init    --server NAME [--servers FILE] [--policy FILE] [--data-dir DIR] [--force]
  mcp-warden wrap    --client claude-desktop|cursor|claude-code|vscode [--config PATH] [--data-dir DIR]
                     [--servers FILE] [--url URL]
  mcp-warden unwrap  --client claude-desktop|cursor|claude-code|vscode [--config PATH] [--data-dir DIR]`;

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

/** The demo upstream: the stand-in virtualization server built next to this file. */
function demoServer(): ServersFile["mcpServers"][string] {
  const script = fileURLToPath(new URL("./demo/virtualization-server.js", import.meta.url));
  if (!existsSync(script))
    throw new UsageError(`the demo server is not built (${script}); run npm run build`);
  return { command: process.execPath, args: [script, "--mode", "testing"] };
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: "string" },
      servers: { type: "string" },
      port: { type: "string" },
      token: { type: "string" },
      grant: { type: "string", multiple: true },
      "admin-token": { type: "string" },
      "data-dir": { type: "string" },
      demo: { type: "boolean" },
    },
  });
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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: "string" }, token: { type: "string" }, "data-dir": { type: "string" } },
  });
  const server = positionals[0];
  if (!server || positionals.length > 1) throw new UsageError("connect takes one server name");
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

function check(argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError("check takes one policy file");
  const result = loadPolicy(readText(file, "policy file"));
  if (result.ok) {
    process.stdout.write(`${file}: valid\n`);
    return 0;
  }
  for (const e of result.errors) process.stdout.write(`${file}: ${e.path}: ${e.message}\n`);
  return 1;
}

function decideCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: "string" },
      tool: { type: "string" },
      server: { type: "string" },
      client: { type: "string" },
      args: { type: "string" },
    },
  });
  if (!values.policy || !values.tool) throw new UsageError("decide needs --policy FILE and --tool NAME");
  const compiled = loadPolicy(readText(values.policy, "policy file"));
  if (!compiled.ok) {
    throw new UsageError(
      `policy ${values.policy} is invalid: ${compiled.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    );
  }
  let args: unknown = {};
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args);
    } catch (error) {
      throw new UsageError(`--args is not JSON: ${(error as Error).message}`);
    }
  }
  if (typeof args !== "object" || args === null || Array.isArray(args))
    throw new UsageError("--args must be a JSON object");
  const { counterKeys: _keys, ...decision } = decide(
    compiled.policy,
    {
      server: values.server ?? "default",
      tool: values.tool,
      args: args as Record<string, unknown>,
      grant: values.client ?? "cli",
      session: "cli",
    },
    { denyAll: false, limits: new RateLimiter(), now: Date.now() },
  );
  process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
  return 0;
}

/** Runs the CLI; returns the exit code, or undefined for commands that keep running. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        await serve(rest);
        return undefined;
      case "connect":
        await connect(rest);
        return 0;
      case "check":
        return check(rest);
      case "decide":
        return decideCommand(rest);
      case "schema":
        process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
        return 0;
      case "init":
        return await initCommand(rest);
      case "wrap":
        return wrapCommand(rest, DEFAULT_PORT);
      case "unwrap":
        return unwrapCommand(rest);
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        process.stderr.write(
          `mcp-warden: ${command ? `unknown command "${command}"` : "no command"}\n${USAGE}\n`,
        );
        return 2;
    }
  } catch (error) {
    const known =
      error instanceof UsageError ||
      error instanceof StartupError ||
      (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`mcp-warden: ${(error as Error).message}\n`);
    if (!known && process.env.MCP_WARDEN_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return known ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
