/**
 * Test helpers: run the real `mcp-warden serve` (the built CLI) as a child process in a temporary data
 * folder, in front of real upstream processes, and talk to it with the real MCP SDK client.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import type { MethodParams, MethodResult, WardenMethodName } from "../../shared/contract.js";
import { connectionFetch } from "./fetch.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const cliPath = join(repoRoot, "dist", "cli.js");
export const demoServerPath = join(repoRoot, "dist", "demo", "virtualization-server.js");
/** The entry of @modelcontextprotocol/server-everything (a server nobody here wrote). */
export const everythingEntry = join(
  repoRoot,
  "node_modules",
  "@modelcontextprotocol",
  "server-everything",
  "dist",
  "index.js",
);

/** The seed policy, verbatim. */
export const SEED_POLICY = `{ "version": "1", "default": "deny",
  "tools": { "stop_vm": { "limits": [ { "counter": "stop_vm_rate", "window": "minute", "max": 10, "scope": "grant" } ] } } }`;

export const CLIENT_TOKEN = "client-token-for-tests";
export const ADMIN_TOKEN = "admin-token-for-tests";

/** A fresh temporary folder. */
export function tempDir(prefix = "warden-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A user-only file holding `token`, as `--token-file` and `--grant NAME=@FILE` take it. */
export function tokenFile(token: string): string {
  const path = join(tempDir("warden-token-"), "token");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** The `serve` arguments that add a grant named `name` with `token`. */
export function grantArgs(name: string, token: string): string[] {
  return ["--grant", `${name}=@${tokenFile(token)}`];
}

/** A servers-file entry for the stand-in virtualization server. */
export function virtualizationServer(
  mode: "production" | "testing",
  stateFile: string,
  env: Record<string, string> = {},
): Record<string, unknown> {
  return {
    command: process.execPath,
    args: [demoServerPath, "--mode", mode],
    env: { VIRT_STATE_FILE: stateFile, ...env },
  };
}

/** The stand-in's state file, as a test reads it. */
export interface VirtState {
  pid: number;
  vms: Record<string, { state: string }>;
  calls: { tool: string; args: Record<string, unknown>; ts: number }[];
}

export function readState(path: string): VirtState {
  return JSON.parse(readFileSync(path, "utf8")) as VirtState;
}

export interface RunningWarden {
  url: string;
  dataDir: string;
  policyPath: string;
  process: ChildProcess;
  output: () => string;
  /** Calls a control-API method with the admin token. */
  api<K extends WardenMethodName>(
    method: K,
    params?: MethodParams<K>,
    token?: string,
  ): Promise<MethodResult<K>>;
  /** Connects a real SDK client to `/mcp/<server>`. */
  client(server: string, token?: string): Promise<Client>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  policy?: string;
  servers: Record<string, unknown>;
  dataDir?: string;
  extraArgs?: string[];
  /** Extra environment for the serve process (e.g. HOME, to find client configs in a test folder). */
  env?: Record<string, string>;
  /** Runs serve under `ulimit -n maxFiles`: at most this many open file descriptors. */
  maxFiles?: number;
  /** Where serve reads the admin token (ADMIN_TOKEN): a user-only file by default, or "-" for `stdin`. */
  adminTokenFile?: string;
  /** Written to serve's standard input, which is then closed (by default serve's stdin is empty). */
  stdin?: string;
}

/** Starts `mcp-warden serve` and waits until it listens. */
export async function startWarden(options: StartOptions): Promise<RunningWarden> {
  const dataDir = options.dataDir ?? tempDir();
  const policyPath = join(dataDir, "policy.json");
  if (options.policy !== undefined) writeFileSync(policyPath, options.policy);
  const serversPath = join(dataDir, "servers.json");
  writeFileSync(serversPath, JSON.stringify({ mcpServers: options.servers }));
  const serve = [
    cliPath,
    "serve",
    "--data-dir",
    dataDir,
    "--port",
    "0",
    "--token-file",
    tokenFile(CLIENT_TOKEN),
    "--admin-token-file",
    options.adminTokenFile ?? tokenFile(ADMIN_TOKEN),
    ...(options.extraArgs ?? []),
  ];
  // The shell sets the limit and then becomes serve (exec), so the child's pid is serve's.
  const [command, args] =
    options.maxFiles === undefined
      ? [process.execPath, serve]
      : ["sh", ["-c", `ulimit -n ${options.maxFiles} && exec "$0" "$@"`, process.execPath, ...serve]];
  const child = spawn(command, args, {
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 20_000);
    const check = () => {
      const m = /MCP Warden listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1] && output.includes("control API:")) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
  const clients: Client[] = [];
  return {
    url,
    dataDir,
    policyPath,
    process: child,
    output: () => output,
    async api(method, params, token = ADMIN_TOKEN) {
      const res = await fetch(`${url}/api/${method}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(params ?? {}),
      });
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as never;
    },
    async client(server, token = CLIENT_TOKEN) {
      const client = new Client({ name: "test-client", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp/${server}`), {
          fetch: connectionFetch,
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async stop(signal = "SIGTERM") {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill(signal);
      await exited;
    },
  };
}

/** Calls a tool the way a proxy-aware client should: through `request`, with the result schema. */
export function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return client.request({ method: "tools/call", params: { name, arguments: args } }, CallToolResultSchema, {
    timeout: 300_000,
  });
}

/** The text of a result's first text block. */
export function textOf(result: CallToolResult): string {
  const block = result.content.find((c) => c.type === "text");
  return block && "text" in block ? block.text : "";
}

/** Polls until `predicate` is true (or throws after `ms`). */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One JSON-RPC message as a raw bridge test reads it. */
export interface RawMessage {
  id?: string | number | null;
  method?: string;
  params?: { progress?: number };
  result?: unknown;
  error?: { code: number; message?: string };
}

/** `mcp-warden connect` as a child process, read and written as raw lines (no SDK client in between). */
export interface RawBridge {
  messages: RawMessage[];
  /** Every line read so far, as the bridge wrote it. */
  lines(): string[];
  /** Writes one line (an object is sent as JSON). */
  send(message: object | string): void;
  /** Waits for the answer to request `id`. */
  answer(id: string | number, what?: string): Promise<RawMessage>;
  kill(): void;
  exitCode(): number | null;
}

/** Starts `mcp-warden connect <server>` against a running warden and reads its stdout line by line. */
export function rawBridge(w: RunningWarden, server: string): RawBridge {
  const bridge = spawn(process.execPath, [
    cliPath,
    "connect",
    server,
    "--data-dir",
    w.dataDir,
    "--token-file",
    tokenFile(CLIENT_TOKEN),
  ]);
  const messages: RawMessage[] = [];
  const lines: string[] = [];
  let buffer = "";
  bridge.stdout?.on("data", (d: Buffer) => {
    buffer += d.toString();
    for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      lines.push(line);
      messages.push(JSON.parse(line) as RawMessage);
      buffer = buffer.slice(nl + 1);
    }
  });
  return {
    messages,
    lines: () => lines,
    send: (message) =>
      bridge.stdin?.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`),
    answer: async (id, what = `the answer to ${id}`) => {
      await waitFor(() => messages.some((m) => m.id === id), 20_000, what);
      return messages.find((m) => m.id === id) as RawMessage;
    },
    kill: () => bridge.kill(),
    exitCode: () => bridge.exitCode,
  };
}

/** An initialize request as a raw client sends it. */
export function initializeRequest(id: string | number): object {
  return {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
  };
}

/** The JSON texts of the messages in an HTTP answer (plain JSON, or the data of each server-sent event). */
export function messageTexts(contentType: string, body: string): string[] {
  if (!contentType.includes("text/event-stream")) return body ? [body] : [];
  return body
    .split(/\n\n/)
    .map((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n"),
    )
    .filter(Boolean);
}

/** A session on a warden endpoint spoken to as raw HTTP, so a test sees the exact bytes. */
export interface RawHttpSession {
  /** Posts one message text; resolves with the JSON texts the answer carried. */
  post(text: string): Promise<{ status: number; texts: string[] }>;
  initializeText: string;
}

/** Opens a session with raw HTTP (initialize, then initialized) and returns a poster for it. */
export async function rawHttpSession(
  endpoint: string,
  token = CLIENT_TOKEN,
  capabilities: Record<string, unknown> = {},
): Promise<RawHttpSession> {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${token}`,
  };
  const init = await fetch(endpoint, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities, clientInfo: { name: "raw", version: "1" } },
    }),
  });
  const session = init.headers.get("mcp-session-id") ?? "";
  const initializeText = messageTexts(init.headers.get("content-type") ?? "", await init.text())[0] ?? "";
  const post = async (text: string) => {
    const res = await fetch(endpoint, {
      method: "POST",
      headers: { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
      body: text,
    });
    return {
      status: res.status,
      texts: messageTexts(res.headers.get("content-type") ?? "", await res.text()),
    };
  };
  await post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  return { post, initializeText };
}

/** A stdio server spoken to directly with raw lines: what a client without the warden would read. */
export function rawStdioServer(
  command: string,
  args: string[],
): {
  request(text: string, id: string | number): Promise<string>;
  close(): void;
} {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = new Map<string, (line: string) => void>();
  let parts: Buffer[] = [];
  child.stdout?.on("data", (d: Buffer) => {
    let start = 0;
    for (let nl = d.indexOf(0x0a); nl !== -1; nl = d.indexOf(0x0a, start)) {
      const line = Buffer.concat([...parts, d.subarray(start, nl)]).toString("utf8");
      parts = [];
      start = nl + 1;
      const id = (JSON.parse(line) as { id?: unknown }).id;
      waiting.get(JSON.stringify(id))?.(line);
    }
    parts.push(d.subarray(start));
  });
  return {
    request: (text, id) =>
      new Promise((resolve) => {
        waiting.set(JSON.stringify(id), resolve);
        child.stdin?.write(`${text}\n`);
      }),
    close: () => child.kill(),
  };
}
