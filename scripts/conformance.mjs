// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against our reference server
// (test/fixtures/conformance-server.mjs), once directly and once through `mcp-warden serve`, in both protocol
// eras, and prints the two side by side:
//
//   2025-11-25   conformance 0.1.16          every server scenario (`--suite all`)
//   2026-07-28   conformance 0.2.0-alpha.12  the revision's requirement set (`--requirements 2026-07-28`)
//
// The suite needs Node 22 and the 2026-07-28 fixture needs the v2 SDK: both are installed from the npm
// registry into a cache folder (test-output/conformance-cache, or --cache DIR / $MCP_WARDEN_CONFORMANCE_CACHE).
// The suite's client cannot send an Authorization header, so the warden's endpoint is reached through a small
// local relay that adds the bearer token and passes everything else through (Host and Origin naming the relay
// are rewritten to the warden's own, any other value — a DNS-rebinding probe — is passed on untouched).
//
//   node scripts/conformance.mjs [--era legacy|modern|all] [--scenario NAME]... [--json FILE]
//                                [--cli dist/cli.js] [--cache DIR] [--direct-only] [--no-client] [--prepare]
//
// --cli (or $MCP_WARDEN_CONFORMANCE_CLI) picks the warden build; --prepare only fills the cache (for a CI step before the tests); --direct-only skips the warden;
// --no-client skips the client leg (2025-11-25: the suite's test servers, our client direct or via the warden);
// --client-only runs nothing else.
//
// Writes test-output/conformance.json (or --json FILE) and the suite's own output under
// test-output/conformance/. Exit 0 when the runs completed (whatever they found), 3 when Node 22 could not
// be had (the run is skipped), 2 on any other error.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Exact versions, so every run measures the same thing. */
export const PINS = {
  node: "22.23.5",
  legacySuite: "0.1.16",
  modernSuite: "0.2.0-alpha.12",
  sdkServer: "2.4.0",
  sdkNode: "2.1.2",
};

export const ERAS = {
  legacy: {
    protocol: "2025-11-25",
    suite: PINS.legacySuite,
    dir: "suite-legacy",
    selection: ["--suite", "all"],
    single: [],
  },
  modern: {
    protocol: "2026-07-28",
    suite: PINS.modernSuite,
    dir: "suite-modern",
    selection: ["--requirements", "2026-07-28"],
    single: ["--spec-version", "2026-07-28"],
  },
};

const CLIENT_TOKEN = "conformance-client-token";
const ADMIN_TOKEN = "conformance-admin-token";
const SCENARIO_TIMEOUT_MS = 20_000;

const { values: flags } = parseArgs({
  options: {
    era: { type: "string", default: "all" },
    scenario: { type: "string", multiple: true },
    json: { type: "string", default: join(ROOT, "test-output", "conformance.json") },
    cli: { type: "string", default: process.env.MCP_WARDEN_CONFORMANCE_CLI ?? join(ROOT, "dist", "cli.js") },
    cache: { type: "string" },
    "direct-only": { type: "boolean", default: false },
    prepare: { type: "boolean", default: false },
    "no-client": { type: "boolean", default: false },
    "client-only": { type: "boolean", default: false },
  },
});

const log = (line) => process.stdout.write(`${line}\n`);
const jsonFile = resolve(flags.json);
const cacheDir = resolve(
  flags.cache ?? process.env.MCP_WARDEN_CONFORMANCE_CACHE ?? join(ROOT, "test-output", "conformance-cache"),
);
const outDir = join(ROOT, "test-output", "conformance");

// ---------------------------------------------------------------------------------------------------------
// Processes we start (and only those are stopped, each by its own pid)
// ---------------------------------------------------------------------------------------------------------

const children = new Set();
function stopAll() {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });

/** Starts a process and resolves once `ready` matches its stdout (or rejects when it exits first). */
function startProcess(label, command, args, ready, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start in 30 s:\n${output}`)), 30_000);
    const check = () => {
      const match = ready.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off("data", check);
      resolvePromise({ child, match, output: () => output });
    };
    child.stdout.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
}

/** Stops a process we started and waits for it to exit. */
function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolvePromise) => child.once("exit", resolvePromise));
  child.kill("SIGTERM");
  return exited;
}

/** Runs a command to completion; resolves with its exit code and output. */
function runProcess(command, args, { timeoutMs, ...options } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    children.add(child);
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = timeoutMs ? setTimeout(() => child.kill("SIGTERM"), timeoutMs) : undefined;
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Tools in the cache: Node 22, both suite versions, the v2 SDK
// ---------------------------------------------------------------------------------------------------------

function installedVersion(dir, pkg) {
  try {
    return JSON.parse(readFileSync(join(dir, "node_modules", pkg, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

/** `npm install --prefix DIR pkg@version…` unless DIR already holds exactly those versions. */
async function ensurePackages(dir, specs) {
  if (specs.every(([pkg, version]) => installedVersion(dir, pkg) === version)) return { ok: true };
  mkdirSync(dir, { recursive: true });
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error"];
  const r = await runProcess(npm, [...args, ...specs.map(([pkg, version]) => `${pkg}@${version}`)], {
    timeoutMs: 600_000,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  const ok = r.code === 0 && specs.every(([pkg, version]) => installedVersion(dir, pkg) === version);
  const lines = r.output.trim().split("\n");
  const telling = lines
    .filter((l) => /\b(code|errno|E[A-Z0-9]{3,}|notarget|network|404)\b/.test(l))
    .slice(0, 3);
  return ok ? { ok } : { ok, error: (telling.length > 0 ? telling : lines.slice(-3)).join(" / ") };
}

async function ensureTools() {
  const started = Date.now();
  const major = Number(process.versions.node.split(".")[0]);
  const nodePkg = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
  const nodeDir = join(cacheDir, "node22");
  const [node, legacy, modern, sdk] = await Promise.all([
    major >= 22 ? Promise.resolve({ ok: true }) : ensurePackages(nodeDir, [[nodePkg, PINS.node]]),
    ensurePackages(join(cacheDir, ERAS.legacy.dir), [
      ["@modelcontextprotocol/conformance", PINS.legacySuite],
    ]),
    ensurePackages(join(cacheDir, ERAS.modern.dir), [
      ["@modelcontextprotocol/conformance", PINS.modernSuite],
    ]),
    ensurePackages(join(cacheDir, "sdk-v2"), [
      ["@modelcontextprotocol/server", PINS.sdkServer],
      ["@modelcontextprotocol/node", PINS.sdkNode],
    ]),
  ]);
  let node22 = process.execPath;
  if (major < 22) {
    node22 = join(
      nodeDir,
      "node_modules",
      nodePkg,
      "bin",
      process.platform === "win32" ? "node.exe" : "node",
    );
    const probe =
      node.ok && existsSync(node22) ? spawnSync(node22, ["--version"], { encoding: "utf8" }) : undefined;
    if (probe?.status !== 0 || !probe.stdout.startsWith("v22."))
      return {
        skip: `Node 22 could not be installed from the npm registry (${nodePkg}@${PINS.node}): ${node.error ?? probe?.stderr ?? "no binary"}`,
      };
  }
  for (const [era, r] of [
    ["legacy", legacy],
    ["modern", modern],
  ])
    if (!r.ok)
      throw new Error(`could not install @modelcontextprotocol/conformance for the ${era} era:\n${r.error}`);
  const suiteBin = (era) =>
    join(cacheDir, ERAS[era].dir, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
  return {
    node22,
    nodeVersion: spawnSync(node22, ["--version"], { encoding: "utf8" }).stdout.trim(),
    suiteBin,
    sdkV2: sdk.ok ? join(cacheDir, "sdk-v2") : undefined,
    sdkV2Error: sdk.ok ? undefined : sdk.error,
    installMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The fixture, the warden and the bearer relay
// ---------------------------------------------------------------------------------------------------------

const FIXTURE = join(ROOT, "test", "fixtures", "conformance-server.mjs");

function startFixture(label, sdkV2) {
  return startProcess(
    label,
    process.execPath,
    [FIXTURE, "--port", "0", "--verbose", ...(sdkV2 ? ["--sdk-v2", sdkV2] : [])],
    /listening on (http:\/\/\S+)/,
  ).then((p) => ({ ...p, url: p.match[1] }));
}

async function startWarden(upstreamUrl) {
  const dataDir = mkdtempSync(join(tmpdir(), "warden-conformance-"));
  const policy = join(dataDir, "policy.json");
  const servers = join(dataDir, "servers.json");
  writeFileSync(policy, JSON.stringify({ version: "1", default: "allow" }));
  writeFileSync(servers, JSON.stringify({ mcpServers: { conf: { url: upstreamUrl } } }));
  const args = [
    flags.cli,
    "serve",
    "--data-dir",
    dataDir,
    "--port",
    "0",
    "--policy",
    policy,
    "--servers",
    servers,
  ];
  // Tokens are never command-line arguments: user-only files in the (temporary) data folder hold them.
  const clientTokenFile = join(dataDir, "client.token");
  const adminTokenFile = join(dataDir, "admin.token");
  writeFileSync(clientTokenFile, CLIENT_TOKEN, { mode: 0o600 });
  writeFileSync(adminTokenFile, ADMIN_TOKEN, { mode: 0o600 });
  args.push("--token-file", clientTokenFile, "--admin-token-file", adminTokenFile);
  const p = await startProcess("mcp-warden serve", process.execPath, args, /control API:/);
  const url = /MCP Warden listening on (http:\/\/\S+)/.exec(p.output())?.[1];
  if (!url) throw new Error(`mcp-warden serve printed no URL:\n${p.output()}`);
  return { ...p, url, dataDir };
}

/**
 * A pass-through relay in front of the warden that adds `Authorization: Bearer <client token>`, because the
 * suite's client sends no custom headers. Host and Origin that name the relay itself are rewritten to the
 * warden's own address; any other value is passed on untouched, so the warden's own Host/Origin check is
 * what the DNS-rebinding scenario measures. Bodies and SSE streams are piped as they come; a client that goes
 * away aborts the upstream request.
 */
function startRelay(target) {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const self = req.socket.localPort;
    const headers = { ...req.headers };
    for (const name of ["localhost", "127.0.0.1", "[::1]"]) {
      if (headers.host === `${name}:${self}`) headers.host = `${name}:${to.port}`;
      if (headers.origin === `http://${name}:${self}`) headers.origin = `http://${name}:${to.port}`;
    }
    headers.authorization ??= `Bearer ${CLIENT_TOKEN}`;
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders();
        up.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`relay: ${error.message}`);
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  // Idle keep-alive sockets stay open longer than the suite's client keeps them, so the relay never closes
  // one just as the client reuses it ("fetch failed").
  server.keepAliveTimeout = 65_000;
  return new Promise((resolvePromise) => {
    server.listen(0, "127.0.0.1", () => resolvePromise({ server, port: server.address().port }));
  });
}

// ---------------------------------------------------------------------------------------------------------
// Running the suite and reading its results
// ---------------------------------------------------------------------------------------------------------

const TIMESTAMP = /-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the suite colours its output with ANSI escapes
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*m/g, "");

/** One scenario's outcome from its checks: pass when no check failed. */
function summarize(checks) {
  const by = (status) => checks.filter((c) => c.status === status);
  const failures = by("FAILURE").map((c) => ({ id: c.id, message: c.errorMessage ?? c.description ?? "" }));
  const warnings = by("WARNING").map((c) => ({ id: c.id, message: c.errorMessage ?? c.description ?? "" }));
  return {
    status: failures.length === 0 ? "pass" : "fail",
    passed: by("SUCCESS").length,
    failed: failures.length,
    warnings: warnings.length,
    failures,
    warningList: warnings,
  };
}

/**
 * The scenarios one era's selection runs, from the suite's own `list`, and the ones it runs without scoring
 * them (with the suite's reason: extension, pending…).
 */
async function listScenarios(tools, era) {
  const args = [tools.suiteBin(era), "list", "--server", ...(era === "modern" ? ERAS.modern.selection : [])];
  const r = await runProcess(tools.node22, args, { timeoutMs: 60_000 });
  const names = [];
  const notScored = {};
  let section;
  let group;
  for (const line of stripAnsi(r.output).split("\n")) {
    if (/^Server scenarios/.test(line)) section = "server";
    else if (/^(Client|Authorization server) scenarios/.test(line)) section = "other";
    else if (/^Run and reported/.test(line)) section = "not-scored";
    else if (section === "not-scored" && /^\s+[\w-]+ \(\d+\):/.test(line))
      group = /^\s+([\w-]+)/.exec(line)[1];
    else {
      const m = /^\s*- ([\w/.-]+)(?: \[([^\]]+)\])?/.exec(line);
      if (m && section === "server") names.push(m[1]);
      if (m && section === "not-scored" && m[2] === "server") {
        names.push(m[1]);
        notScored[m[1]] = group;
      }
    }
  }
  if (names.length === 0)
    throw new Error(`conformance list gave no server scenarios for ${era}:\n${r.output}`);
  return { names: [...new Set(names)], notScored };
}

/**
 * Runs the suite once, watching its output: a scenario that gives no result within SCENARIO_TIMEOUT_MS is
 * declared hung and the suite stopped (0.1.16 has no per-scenario timeout of its own).
 */
function runWatched(tools, args, cwd) {
  return new Promise((resolvePromise) => {
    const child = spawn(tools.node22, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let output = "";
    let current;
    let hung;
    let timer;
    const watch = (chunk) => {
      output += chunk;
      for (const m of stripAnsi(String(chunk)).matchAll(
        /Running client scenario '([^']+)'|(Results saved to)/g,
      )) {
        clearTimeout(timer);
        current = m[1];
        if (!current) continue;
        const name = current;
        timer = setTimeout(() => {
          hung = name;
          child.kill("SIGTERM");
        }, SCENARIO_TIMEOUT_MS);
      }
    };
    child.stdout.on("data", watch);
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.once("close", () => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ output, hung });
    });
  });
}

/**
 * Runs one era's suite against one URL (`list`: the era's scenarios, from listScenarios); returns
 * scenario → summary.
 */
async function runSuite(tools, era, target, url, list) {
  const expected = list.names;
  const dir = join(outDir, `${era}-${target}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const base = [tools.suiteBin(era), "server", "--url", url, "-o", dir];
  // An extension's scenario is on no spec timeline: pinned to a spec version, the suite skips it (unpinned,
  // it runs it at 2026-07-28, as the era's selection does).
  const single = (name) => [
    ...base,
    "--scenario",
    name,
    ...(list.notScored[name] === "extension" ? [] : ERAS[era].single),
  ];
  const started = Date.now();
  const hung = [];
  let output = "";
  const results = () => {
    const found = {};
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith("server-")) continue;
      const file = join(dir, entry.name, "checks.json");
      if (existsSync(file)) found[entry.name.slice("server-".length).replace(TIMESTAMP, "")] = file;
    }
    return found;
  };
  const wanted = flags.scenario?.length ? flags.scenario : expected;
  /** Runs single-scenario suites, a few at a time. */
  const runSingles = async (names) => {
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const r = await runWatched(tools, single(name), dir);
        output += r.output;
        if (r.hung) hung.push(r.hung);
      }
    };
    await Promise.all(Array.from({ length: Math.min(3, queue.length) }, worker));
  };
  if (flags.scenario?.length) await runSingles(wanted);
  else {
    const r = await runWatched(tools, [...base, ...ERAS[era].selection], dir);
    output += r.output;
    if (r.hung) {
      hung.push(r.hung);
      // Go on with what the stopped run had not reached yet, one scenario per suite run.
      const have = results();
      await runSingles(wanted.filter((n) => !have[n] && !hung.includes(n)));
    }
  }
  writeFileSync(join(dir, "suite-output.log"), output);
  const text = stripAnsi(output);
  const scenarios = {};
  for (const [name, file] of Object.entries(results()))
    scenarios[name] = summarize(JSON.parse(readFileSync(file, "utf8")));
  for (const name of hung)
    scenarios[name] = summarize([
      {
        id: "timeout",
        status: "FAILURE",
        errorMessage: `no result within ${SCENARIO_TIMEOUT_MS / 1000} s: it hung`,
      },
    ]);
  for (const name of wanted) {
    if (scenarios[name]) continue;
    // A scenario that threw has no checks.json; the suite's output says why.
    const failure = new RegExp(`Failed to run scenario ${name.replace(/[/.-]/g, "\\$&")}:\\s*([^\\n]*)`).exec(
      text,
    );
    scenarios[name] = summarize([
      { id: "did-not-run", status: "FAILURE", errorMessage: failure?.[1] || "the scenario gave no result" },
    ]);
  }
  return { scenarios, hung, ms: Date.now() - started };
}

/**
 * The client leg (2025-11-25 suite): the suite starts its own test server per scenario and runs our client,
 * test/fixtures/conformance-client.mjs, against it — direct, or with `--warden` so that the client talks to a
 * fresh `mcp-warden serve` whose upstream is the suite's server (the warden is then the client under test).
 * The auth/* scenarios of 2025-11-25 run too: direct, our client signs in with the SDK's own OAuth; through
 * the warden, the warden signs in to the suite's server (the harness plays the user pressing Sign in, see
 * test/fixtures/conformance-client.mjs). The suite's authorization server approves at once.
 */
export const AUTH_SCENARIOS = [
  "auth/metadata-default",
  "auth/metadata-var1",
  "auth/metadata-var2",
  "auth/metadata-var3",
  "auth/basic-cimd",
  "auth/scope-from-www-authenticate",
  "auth/scope-from-scopes-supported",
  "auth/scope-omitted-when-undefined",
  "auth/scope-step-up",
  "auth/scope-retry-limit",
  "auth/token-endpoint-auth-basic",
  "auth/token-endpoint-auth-post",
  "auth/token-endpoint-auth-none",
  "auth/pre-registration",
];
export const CLIENT_SCENARIOS = [
  "initialize",
  "tools_call",
  "elicitation-sep1034-client-defaults",
  "sse-retry",
  ...AUTH_SCENARIOS,
];
/**
 * The 2026-07-28 client leg (0.2.0-alpha suite, the revision's client requirement set): our client is the v2
 * SDK's, pinned to 2026-07-28 (`--era modern`); through the warden, the warden is the 2026-07-28 client of the
 * suite's server, relaying what its own 2026-07-28 client sends (envelope, headers, request state) and
 * signing in itself for auth/*.
 */
export const MODERN_CLIENT_SCENARIOS = [
  "tools_call",
  "request-metadata",
  "sep-2322-client-request-state",
  "http-standard-headers",
  "http-custom-headers",
  "http-invalid-tool-headers",
  "json-schema-ref-no-deref",
  ...AUTH_SCENARIOS,
  "auth/resource-mismatch",
  "auth/offline-access-scope",
  "auth/offline-access-not-supported",
  "auth/authorization-server-migration",
  "auth/iss-supported",
  "auth/iss-not-advertised",
  "auth/iss-supported-missing",
  "auth/iss-wrong-issuer",
  "auth/iss-unexpected",
  "auth/iss-normalized",
  "auth/metadata-issuer-mismatch",
];
const CLIENT = join(ROOT, "test", "fixtures", "conformance-client.mjs");

async function runClientLeg(tools, target, era = "legacy") {
  const dir = join(outDir, `client-${era}-${target}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const command = [
    process.execPath,
    CLIENT,
    "--era",
    era,
    ...(target === "warden" ? ["--warden", flags.cli] : []),
  ].join(" ");
  const all = era === "modern" ? MODERN_CLIENT_SCENARIOS : CLIENT_SCENARIOS;
  const wanted = flags.scenario?.length ? all.filter((n) => flags.scenario.includes(n)) : all;
  const started = Date.now();
  const stopped = [];
  const outputs = [];
  const runOne = async (name) => {
    const args = [
      tools.suiteBin(era),
      "client",
      "--command",
      command,
      "--scenario",
      name,
      ...ERAS[era].single,
      "-o",
      dir,
    ];
    const r = await runProcess(tools.node22, args, { timeoutMs: 90_000, cwd: dir });
    if (r.signal) stopped.push(name);
    outputs.push(r.output);
  };
  // One scenario at a time: some time the client (sse-retry's reconnection window), and a loaded 2-core
  // machine running several at once misses the suite's own timeouts.
  for (const name of wanted) await runOne(name);
  writeFileSync(join(dir, "suite-output.log"), outputs.join("\n"));
  const scenarios = {};
  const found = {};
  // A scenario named "auth/x" writes its results under auth/x-<time>/.
  const scan = (folder, prefix) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = join(folder, entry.name, "checks.json");
      if (existsSync(file)) found[prefix + entry.name.replace(TIMESTAMP, "")] = file;
      else if (!prefix) scan(join(folder, entry.name), `${entry.name}/`);
    }
  };
  scan(dir, "");
  for (const name of wanted)
    scenarios[name] = found[name]
      ? summarize(JSON.parse(readFileSync(found[name], "utf8")))
      : summarize([
          {
            id: "did-not-run",
            status: "FAILURE",
            errorMessage: stopped.includes(name)
              ? "the suite gave no result within 90 s and was stopped"
              : "the scenario gave no result",
          },
        ]);
  return { scenarios, ms: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

const pad = (s, n) => String(s).padEnd(n);
/** "pass 3/3", "FAIL 1/2", with "+2w" when some checks only warned. */
const cell = (r) =>
  r
    ? `${r.status === "pass" ? "pass" : "FAIL"} ${r.passed}/${r.passed + r.failed}${r.warnings ? ` +${r.warnings}w` : ""}`
    : "—";

function printTable(result) {
  const width = Math.max(
    30,
    ...Object.values(result.eras).flatMap((e) => Object.keys(e.scenarios).map((s) => s.length + 2)),
  );
  log("");
  log(
    `${pad("leg", 7)}${pad("era", 11)}${pad("scenario", width)}${pad("direct", 14)}${pad("warden", 14)}note`,
  );
  for (const [, era] of Object.entries(result.eras)) {
    for (const [name, s] of Object.entries(era.scenarios)) {
      const note = [
        s.notScored ? `not scored: ${s.notScored}` : "",
        s.direct?.status === "pass" && s.warden && s.warden.status !== "pass" ? "← warden regression" : "",
      ]
        .filter(Boolean)
        .join("; ");
      log(
        `${pad(era.leg, 7)}${pad(era.protocol, 11)}${pad(name, width)}${pad(cell(s.direct), 14)}${pad(cell(s.warden), 14)}${note}`,
      );
    }
  }
  const failing = Object.values(result.eras).flatMap((era) =>
    Object.entries(era.scenarios)
      .filter(([, s]) => s.warden && s.warden.status !== "pass")
      .map(([name, s]) => ({ era: `${era.leg} ${era.protocol}`, name, s })),
  );
  if (failing.length > 0) {
    log("\nFailing checks through the warden:");
    for (const { era, name, s } of failing) {
      log(`  ${era} ${name}${s.direct?.status === "pass" ? " (passes direct)" : ""}:`);
      for (const f of s.warden.failures.slice(0, 6))
        log(`    - ${f.id}: ${f.message.replace(/\s+/g, " ").slice(0, 240)}`);
      if (s.warden.failures.length > 6) log(`    … ${s.warden.failures.length - 6} more`);
    }
  }
}

async function main() {
  const started = Date.now();
  const eras = flags.era === "all" ? ["legacy", "modern"] : [flags.era];
  for (const era of eras)
    if (!ERAS[era]) throw new Error(`--era must be legacy, modern or all, not "${era}"`);
  mkdirSync(dirname(jsonFile), { recursive: true });

  log(`== conformance: tools in ${cacheDir}`);
  const tools = await ensureTools();
  if (tools.skip) {
    log(`SKIP: ${tools.skip}`);
    writeFileSync(jsonFile, `${JSON.stringify({ skipped: tools.skip }, null, 2)}\n`);
    return 3;
  }
  log(
    `   node ${tools.nodeVersion}; suites ${PINS.legacySuite} and ${PINS.modernSuite}; ${tools.sdkV2 ? `v2 SDK ${PINS.sdkServer}` : `no v2 SDK (${tools.sdkV2Error})`} (${tools.installMs} ms)`,
  );

  if (flags.prepare) return 0;

  if (!flags["direct-only"] && !existsSync(flags.cli)) {
    log("== dist/cli.js is missing: npm run build");
    const r = await runProcess(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], {
      cwd: ROOT,
    });
    if (r.code !== 0 || !existsSync(flags.cli))
      throw new Error(`npm run build failed:\n${r.output.slice(-2000)}`);
  }

  // Two fixture instances, so the direct run and the warden's upstream share no state.
  const [direct, upstream] = await Promise.all([
    startFixture("fixture (direct)", tools.sdkV2),
    flags["direct-only"] ? undefined : startFixture("fixture (behind the warden)", tools.sdkV2),
  ]);
  let warden;
  let relay;
  if (upstream) {
    warden = await startWarden(upstream.url);
    relay = await startRelay(warden.url);
  }
  const wardenUrl = relay ? `http://127.0.0.1:${relay.port}/mcp/conf` : undefined;
  log(`== direct: ${direct.url}`);
  if (warden) log(`== warden: ${warden.url}/mcp/conf (through the bearer relay at ${wardenUrl})`);

  const lists = Object.fromEntries(
    await Promise.all(eras.map(async (era) => [era, await listScenarios(tools, era)])),
  );
  // One era at a time (direct and warden side by side), then the client leg: the suite's timing windows
  // (listen streams, SSE retry) are short, and a 2-core machine running everything at once misses them.
  const done = [];
  const both = (era, run) =>
    Promise.all([
      run("direct").then((r) => ({ era, target: "direct", r })),
      ...(flags["direct-only"] ? [] : [run("warden").then((r) => ({ era, target: "warden", r }))]),
    ]);
  const urls = { direct: direct.url, warden: wardenUrl };
  const serverEras = flags["client-only"] ? [] : eras;
  for (const era of serverEras)
    done.push(...(await both(era, (target) => runSuite(tools, era, target, urls[target], lists[era]))));
  const clientEras = flags["no-client"] ? [] : eras;
  for (const era of clientEras)
    done.push(...(await both(`${era}-client`, (target) => runClientLeg(tools, target, era))));

  const result = {
    generatedAt: new Date().toISOString(),
    durationMs: 0,
    versions: {
      node: tools.nodeVersion,
      harnessNode: process.version,
      suites: { "2025-11-25": PINS.legacySuite, "2026-07-28": PINS.modernSuite },
      fixtureSdk: {
        v1: installedVersion(ROOT, "@modelcontextprotocol/sdk"),
        v2: tools.sdkV2 ? PINS.sdkServer : null,
      },
      wardenCli: flags["direct-only"] ? null : flags.cli,
    },
    eras: {},
  };
  for (const era of serverEras) {
    const d = done.find((j) => j.era === era && j.target === "direct")?.r;
    const w = done.find((j) => j.era === era && j.target === "warden")?.r;
    const names = [
      ...new Set([
        ...lists[era].names,
        ...Object.keys(d?.scenarios ?? {}),
        ...Object.keys(w?.scenarios ?? {}),
      ]),
    ].filter((name) => d?.scenarios[name] || w?.scenarios[name]);
    result.eras[era] = {
      leg: "server",
      protocol: ERAS[era].protocol,
      suite: ERAS[era].suite,
      runMs: { direct: d?.ms, warden: w?.ms },
      hung: { direct: d?.hung ?? [], warden: w?.hung ?? [] },
      scenarios: Object.fromEntries(
        names.map((name) => [
          name,
          {
            ...(lists[era].notScored[name] ? { notScored: lists[era].notScored[name] } : {}),
            direct: d?.scenarios[name] ?? null,
            warden: w ? (w.scenarios[name] ?? null) : undefined,
          },
        ]),
      ),
    };
  }
  for (const era of clientEras) {
    const d = done.find((j) => j.era === `${era}-client` && j.target === "direct")?.r;
    const w = done.find((j) => j.era === `${era}-client` && j.target === "warden")?.r;
    result.eras[`${era}-client`] = {
      leg: "client",
      protocol: ERAS[era].protocol,
      suite: ERAS[era].suite,
      runMs: { direct: d?.ms, warden: w?.ms },
      hung: { direct: [], warden: [] },
      notRun:
        era === "legacy"
          ? "auth/* of other revisions (2025-03-26 back-compat, draft) and extensions"
          : "the extensions (client credentials, enterprise-managed authorization, DPoP, workload identity) and json-schema-2020-12-preservation (added after the release), none scored",
      scenarios: Object.fromEntries(
        Object.keys(d?.scenarios ?? {}).map((name) => [
          name,
          { direct: d.scenarios[name], warden: w ? (w.scenarios[name] ?? null) : undefined },
        ]),
      ),
    };
  }
  result.durationMs = Date.now() - started;
  writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  printTable(result);
  log(`\n== ${result.durationMs} ms; results in ${jsonFile}, suite output in ${outDir}`);
  writeFileSync(join(outDir, "fixture-direct.log"), direct.output());
  if (upstream) writeFileSync(join(outDir, "fixture-upstream.log"), upstream.output());
  relay?.server.close();
  if (warden) {
    writeFileSync(join(outDir, "warden.log"), warden.output());
    await stopProcess(warden.child);
    rmSync(warden.dataDir, { recursive: true, force: true });
  }
  return 0;
}

main()
  .then((code) => {
    stopAll();
    process.exit(code);
  })
  .catch((error) => {
    process.stderr.write(`conformance: ${error?.stack ?? error}\n`);
    stopAll();
    process.exit(2);
  });
