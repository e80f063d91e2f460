/**
 * `mcp-warden init --server NAME`: connects to the server as servers.json configures it, classifies its
 * tools (main/core/risk.ts) and writes a starter policy (main/core/starter-policy.ts). An existing policy is
 * only replaced with `--force`, and then kept as a backup first; the first-run default policy counts as
 * nothing to keep.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parsePolicy } from "../../shared/policy-schema.js";
import { formatJson } from "../core/clients/jsonc.js";
import { DEFAULT_POLICY, dataPaths, writeFileAtomic } from "../core/config/data-dir.js";
import { checkDataDir, checkPrivate } from "../core/config/private-files.js";
import { readServersFile } from "../core/config/servers-config.js";
import { type StarterRule, starterPolicy } from "../core/policy/starter-policy.js";
import { Upstream } from "../core/proxy/upstream.js";
import { DEMO_SERVER_NAME } from "../core/runtime.js";
import { command, parseCommand } from "./args.js";
import { asUserError, dataDirFrom, demoServer, userError } from "./common.js";

/** How long init waits for the server to start and list its tools. */
const CONNECT_TIMEOUT_MS = 30_000;

/** True when the file is the policy a first run writes, untouched: replacing it loses nothing. */
function isFirstRunDefault(text: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(DEFAULT_POLICY);
  } catch {
    return false;
  }
}

/** The server's tools, as it lists them. */
async function listTools(name: string, serversPath: string) {
  const servers = asUserError(() => readServersFile(serversPath));
  // The stand-in that `serve --demo` adds is not in servers.json: reach it the same way serve does.
  const config = servers.mcpServers[name] ?? (name === DEMO_SERVER_NAME ? demoServer() : undefined);
  if (!config) {
    const known = Object.keys(servers.mcpServers);
    throw userError(
      `no server "${name}" in ${serversPath} (${known.length ? `it has: ${known.join(", ")}` : "it has none"}); ` +
        `add it there, or use --server ${DEMO_SERVER_NAME} for the stand-in that serve --demo runs`,
    );
  }
  const upstream = new Upstream(name, config);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((done) => {
    timer = setTimeout(done, CONNECT_TIMEOUT_MS);
  });
  try {
    // The first attempt either connects (tools listed) or fails; init does not wait for retries.
    await Promise.race([upstream.start(), timeout]);
    if (upstream.state !== "connected") {
      const status = upstream.status("");
      const stderr = status.stderr
        .slice(-5)
        .map((line) => `\n  ${line}`)
        .join("");
      throw userError(`could not reach server "${name}": ${status.lastError ?? "no answer"}${stderr}`);
    }
    return [...upstream.tools];
  } finally {
    clearTimeout(timer);
    await upstream.stop();
  }
}

/** What was written, one line per tool; a portmanteau tool lists its actions by what the policy does. */
function describe(rules: readonly StarterRule[]): string[] {
  const lines: string[] = [];
  const keys = [...new Set(rules.map((r) => r.key))];
  for (const key of keys) {
    const mine = rules.filter((r) => r.key === key);
    const [first] = mine;
    if (!first) continue;
    if (!first.match) {
      lines.push(`  ${key.padEnd(36)} ${first.action.padEnd(8)} ${first.risk.kind}, ${first.risk.level}`);
      continue;
    }
    lines.push(`  ${key}, by ${first.match.argument}:`);
    for (const action of ["allow", "approve", "deny"] as const) {
      const values = mine.filter((r) => r.action === action).map((r) => r.match?.value);
      if (values.length) lines.push(`    ${action.padEnd(8)} ${values.join(", ")}`);
    }
  }
  return lines;
}

export const INIT = command({
  name: "init",
  summary: "write a starter policy for a server, from the risk of each of its tools",
  options: {
    server: {
      type: "string",
      arg: "NAME",
      help: `the server's name in servers.json; ${DEMO_SERVER_NAME} reaches the stand-in of serve --demo`,
      required: true,
    },
    servers: {
      type: "string",
      arg: "FILE",
      help: "the servers file (default: servers.json in the data folder)",
    },
    policy: {
      type: "string",
      arg: "FILE",
      help: "where to write the policy (default: policy.json in the data folder)",
    },
    "data-dir": {
      type: "string",
      arg: "DIR",
      help: "the data folder (default: the per-user one, or $MCP_WARDEN_HOME)",
    },
    force: { type: "boolean", help: "replace an existing policy (a backup is kept next to it)" },
  },
  details: [
    "init starts the server, lists its tools and classifies each (and each action of tools that take an " +
      "action) as read, write, execute or destructive, low to critical: low risk is allowed, medium and high " +
      "ask you (rate-limited per client), critical is refused. A running warden applies the new policy at once.",
  ],
});

/** `mcp-warden init --server NAME [--servers FILE] [--policy FILE] [--data-dir DIR] [--force]` */
export async function initCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(INIT, argv);
  if (!values.server)
    throw userError("init needs --server NAME (a server in servers.json); see mcp-warden init --help");
  const paths = dataPaths(dataDirFrom(values["data-dir"]));
  const serversPath = resolve(values.servers ?? paths.servers);
  const policyPath = resolve(values.policy ?? paths.policy);
  // init starts the server as the servers file says: a file another user may write is refused, as by serve.
  asUserError(() => checkDataDir(paths.dir));
  asUserError(() => checkPrivate(serversPath, "the servers file"));
  const existing = existsSync(policyPath) ? readFileSync(policyPath, "utf8") : undefined;
  if (existing !== undefined && !values.force && !isFirstRunDefault(existing))
    throw userError(`${policyPath} already exists; pass --force to replace it (a backup is kept)`);

  const tools = await listTools(values.server, serversPath);
  const { policy, rules } = starterPolicy(values.server, tools);
  const text = formatJson(policy);
  const check = parsePolicy(text);
  if (!check.ok) throw new Error(`the starter policy is invalid: ${JSON.stringify(check.errors)}`);

  const out = process.stdout;
  if (existing !== undefined) {
    const backup = `${policyPath}.${new Date().toISOString().replace(/[:.]/g, "-")}.bak`;
    copyFileSync(policyPath, backup);
    out.write(`kept the old policy as ${backup}\n`);
  }
  asUserError(() => writeFileAtomic(policyPath, text));
  out.write(`Wrote a starter policy for "${values.server}" (${tools.length} tools) to ${policyPath}:\n`);
  for (const line of describe(rules)) out.write(`${line}\n`);
  out.write(
    "  anything else: approve (the default)\n" +
      "allow: low risk; approve: asks you, rate-limited per client; deny: cannot be undone. Each rule's " +
      "comment says why. A running warden applies the file at once.\n",
  );
  return 0;
}
