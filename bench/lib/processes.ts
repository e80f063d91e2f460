/**
 * The processes under test: the echo upstream (bundled once with esbuild into a temporary folder, so it
 * starts without tsx), the real `mcp-warden serve`, and readers of their CPU time and resident memory
 * from /proc. Every child started here is ended when the benchmark process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { builtCli, repoRoot } from "./paths.js";

export const CLIENT_TOKEN = "bench-client-token";
export const ADMIN_TOKEN = "bench-admin-token";

/** A policy that allows everything and checks nothing. */
export const ALLOW_ALL_POLICY = `{"version":"1","default":"allow","tools":{}}`;

/** A realistic policy for `echo`: an argument schema and a per-client limit that the benchmarks never reach. */
export const ECHO_POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    echo: {
      args: { type: "object", properties: { text: { type: "string", maxLength: 1_048_576 } } },
      limits: [{ counter: "echo_rate", window: "minute", max: 100_000_000, scope: "grant" }],
    },
  },
});

const started = new Set<ChildProcess>();
let cleanupInstalled = false;

function track(child: ChildProcess): void {
  started.add(child);
  child.once("exit", () => started.delete(child));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once("exit", () => {
    for (const c of started) if (c.pid !== undefined) c.kill("SIGKILL");
  });
}

const tempDirs: string[] = [];

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mcp-warden-bench-${prefix}-`));
  if (tempDirs.length === 0) {
    process.once("exit", () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  tempDirs.push(dir);
  return dir;
}

let echoBundle: Promise<string> | undefined;

/** The echo server as one JavaScript file (built on first use). */
export function echoServerPath(): Promise<string> {
  echoBundle ??= (async () => {
    const outfile = join(tempDir("echo"), "echo-server.mjs");
    await build({
      entryPoints: [join(repoRoot, "bench", "echo-server.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      sourcemap: true,
      logLevel: "warning",
      // Bundled CommonJS dependencies call require(): give the ES module one.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    return outfile;
  })();
  return echoBundle;
}

/** The servers-file entry that runs the echo server over stdio. */
export async function echoStdioConfig(): Promise<{ command: string; args: string[] }> {
  return { command: process.execPath, args: [await echoServerPath()] };
}

/** A child process that printed the line it was waited for. */
export interface Running {
  child: ChildProcess;
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Spawns `args` with node and resolves once stdout matches `ready` (rejects after `timeoutMs`). */
export async function spawnNode(
  args: string[],
  ready: RegExp,
  timeoutMs = 20_000,
): Promise<Running & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited with ${code}:\n${output}`));
    };
    child.stdout?.on("data", check);
    child.once("exit", onExit);
  });
  return {
    child,
    pid: child.pid ?? 0,
    match,
    output: () => output,
    stop: () => stopChild(child),
  };
}

/** Ends a child: SIGTERM, then SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The echo server over Streamable HTTP. */
export async function startEchoHttp(nodeArgs: string[] = []): Promise<Running & { url: string }> {
  const running = await spawnNode(
    [...nodeArgs, await echoServerPath(), "--http", "0"],
    /echo listening on (http:\/\/\S+)/,
  );
  return { ...running, url: running.match[1] ?? "" };
}

/** A running `mcp-warden serve`. */
export interface RunningServe extends Running {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The CLI it runs. */
  cli: string;
  dataDir: string;
  /** ms (performance.now()) when it was launched and when it printed that it listens. */
  launchedAt: number;
  listeningAt: number;
  /** The endpoint for one upstream. */
  endpoint(server: string): string;
}

export interface ServeOptions {
  policy?: string;
  servers: Record<string, unknown>;
  /** A data folder prepared beforehand (an existing audit log, for instance). */
  dataDir?: string;
  /** Flags for node itself, such as --cpu-prof. */
  nodeArgs?: string[];
  /** Another build of the CLI to run (an A/B comparison); the default is the one under test. */
  cli?: string;
}

/** A user-only file holding a token (the CLI takes no secret on its command line). */
function secretFile(token: string): string {
  const path = join(tempDir("token"), "token");
  writeFileSync(path, token, { mode: 0o600 });
  return path;
}

/** Starts the real built `mcp-warden serve` on a free loopback port with the benchmark tokens. */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const cli = options.cli ?? builtCli();
  const dataDir = options.dataDir ?? tempDir("serve");
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "policy.json"), options.policy ?? ECHO_POLICY);
  writeFileSync(join(dataDir, "servers.json"), JSON.stringify({ mcpServers: options.servers }));
  const launchedAt = performance.now();
  const running = await spawnNode(
    [
      ...(options.nodeArgs ?? []),
      cli,
      "serve",
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--token-file",
      secretFile(CLIENT_TOKEN),
      "--admin-token-file",
      secretFile(ADMIN_TOKEN),
    ],
    /MCP Warden listening on (http:\/\/\S+)/,
    60_000,
  );
  const listeningAt = performance.now();
  const url = running.match[1] ?? "";
  return { ...running, url, cli, dataDir, launchedAt, listeningAt, endpoint: (s) => `${url}/mcp/${s}` };
}

/** The `mcp-warden connect` command line for a server of a running serve. */
export function connectCommand(serve: RunningServe, server: string): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [
      serve.cli,
      "connect",
      server,
      "--url",
      serve.endpoint(server),
      "--data-dir",
      serve.dataDir,
      "--token-file",
      secretFile(CLIENT_TOKEN),
    ],
  };
}

function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid` (a serve's stdio upstreams). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    if (procStat(Number(entry))?.[1] === String(pid)) out.push(Number(entry));
  }
  return out;
}

/** CPU time a process has used so far, in milliseconds (all its threads; from schedstat, ns resolution). */
export function cpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    }
    return ns / 1e6;
  } catch {
    const stat = procStat(pid);
    return stat ? ((Number(stat[11]) + Number(stat[12])) * 1000) / 100 : Number.NaN;
  }
}

/** CPU time of several processes together, in milliseconds. */
export function cpuMsOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
}

/** Resident memory now and at its peak, in kB, from /proc/PID/status. */
export function memoryKb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    return { rss: field("VmRSS"), peak: field("VmHWM") };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/** Samples a process's resident memory every `everyMs` until stopped; returns the highest seen. */
export function sampleRss(pid: number, everyMs = 50): { stop(): number } {
  let highest = memoryKb(pid).rss;
  const timer = setInterval(() => {
    highest = Math.max(highest, memoryKb(pid).rss);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(highest, memoryKb(pid).rss);
    },
  };
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
