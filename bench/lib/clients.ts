/**
 * Real MCP SDK clients for the benchmarks, over stdio or Streamable HTTP, and the timed loop of
 * sequential `tools/call`s (sent with `client.request` and the result schema, as MCP-NOTES says).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";

/** A connected client and the pid of the process it started, if any. */
export interface BenchClient {
  client: Client;
  /** The stdio server process the client spawned. */
  pid: number | undefined;
  close(): Promise<void>;
}

function newClient(): Client {
  return new Client({ name: "mcp-warden-bench", version: "1.0.0" });
}

/** A client that spawns `command args` and speaks stdio to it. */
export async function stdioClient(command: string, args: string[]): Promise<BenchClient> {
  const client = newClient();
  const transport = new StdioClientTransport({ command, args, stderr: "pipe" });
  await client.connect(transport);
  return { client, pid: transport.pid ?? undefined, close: () => client.close() };
}

/** A client on a Streamable HTTP endpoint, with a bearer token when given. */
export async function httpClient(url: string, token?: string): Promise<BenchClient> {
  const client = newClient();
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {},
  );
  await client.connect(transport);
  return {
    client,
    pid: undefined,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/** The arguments every benchmark call sends: a short text, or `BENCH_ARGS_KB` kilobytes of it. */
export const ECHO_ARGS = {
  text: process.env.BENCH_ARGS_KB
    ? "x".repeat(Math.max(1, Number(process.env.BENCH_ARGS_KB)) * 1024)
    : "hello from the benchmark",
};

/** One `tools/call` of `echo`; throws if the answer is an error. */
export async function callEcho(client: Client): Promise<CallToolResult> {
  const result = await client.request(
    { method: "tools/call", params: { name: "echo", arguments: ECHO_ARGS } },
    CallToolResultSchema,
    { timeout: 30_000 },
  );
  if (result.isError) throw new Error(`echo failed: ${JSON.stringify(result.content)}`);
  return result;
}

/**
 * `count` sequential calls, each timed; stops early at `deadline` (performance.now() ms).
 * Returns each call's duration in microseconds.
 */
export async function timedCalls(
  call: () => Promise<unknown>,
  count: number,
  deadline: number,
): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await call();
    durations.push((performance.now() - t0) * 1000);
  }
  return durations;
}
