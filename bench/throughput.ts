/**
 * Benchmark 3, throughput: 1, 10 and 100 concurrent SDK clients over Streamable HTTP, each making
 * sequential calls for a fixed time, through `mcp-warden serve` (to the echo upstream over stdio, audit
 * log on) and beside them the same clients straight to the echo upstream over HTTP. The two paths
 * alternate in rounds after a warm-up. CPU is the serving processes' (from /proc) and the client's.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type BenchClient, callEcho, httpClient } from "./lib/clients.js";
import {
  CLIENT_TOKEN,
  childPids,
  cpuMsOf,
  ECHO_POLICY,
  echoStdioConfig,
  type Running,
  type RunningServe,
  sampleRss,
  startEchoHttp,
  startServe,
} from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport, Goal } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { mb, ms, num, percentiles, showSpread, spread } from "./lib/stats.js";

interface LoadResult {
  calls: number;
  wallMs: number;
  p50Us: number;
  serverCpuMs: number;
  clientCpuMs: number;
  peakRssKb: number;
}

/** Every client calls in a loop until `durationMs` has passed; returns what they got done. */
async function load(clients: readonly Client[], durationMs: number, pids: number[]): Promise<LoadResult> {
  const durations: number[] = [];
  const rss = sampleRss(pids[0] ?? 0);
  const cpu0 = cpuMsOf(pids);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + durationMs;
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < 1_000_000 && performance.now() < end; i++) {
        const c0 = performance.now();
        await callEcho(client);
        durations.push((performance.now() - c0) * 1000);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const client = process.cpuUsage(client0);
  return {
    calls: durations.length,
    wallMs,
    p50Us: percentiles(durations).p50,
    serverCpuMs: cpuMsOf(pids) - cpu0,
    clientCpuMs: (client.user + client.system) / 1000,
    peakRssKb: rss.stop(),
  };
}

async function connectMany(count: number, connect: () => Promise<BenchClient>): Promise<BenchClient[]> {
  const out: BenchClient[] = [];
  while (out.length < count) {
    const batch = Math.min(10, count - out.length);
    out.push(...(await Promise.all(Array.from({ length: batch }, connect))));
  }
  return out;
}

/** Runs the throughput benchmark. */
export async function runThroughput(options: BenchOptions): Promise<BenchReport> {
  const levels = [1, 10, 100];
  const rounds = options.quick ? 1 : 3;
  const durationMs = options.quick ? 700 : 3_000;
  const warmupMs = options.quick ? 200 : 1_000;
  const rows: string[][] = [];
  const goals: Goal[] = [];
  let echoHttp: (Running & { url: string }) | undefined;
  let serve: RunningServe | undefined;
  const open: BenchClient[] = [];
  try {
    echoHttp = await startEchoHttp();
    serve = await startServe({ policy: ECHO_POLICY, servers: { echo: await echoStdioConfig() } });
    const echoUrl = echoHttp.url;
    const wardenUrl = serve.endpoint("echo");
    const wardenPids = [serve.pid, ...childPids(serve.pid)];
    const directPids = [echoHttp.pid];
    for (const level of levels) {
      const direct = await connectMany(level, () => httpClient(echoUrl));
      open.push(...direct);
      const warden = await connectMany(level, () => httpClient(wardenUrl, CLIENT_TOKEN));
      open.push(...warden);
      const paths = [
        { name: "direct", clients: direct.map((c) => c.client), pids: directPids },
        { name: "warden", clients: warden.map((c) => c.client), pids: wardenPids },
      ];
      for (const path of paths) await load(path.clients, warmupMs, path.pids);
      const results = new Map<string, LoadResult[]>([
        ["direct", []],
        ["warden", []],
      ]);
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? paths : [...paths].reverse();
        for (const path of order)
          results.get(path.name)?.push(await load(path.clients, durationMs, path.pids));
      }
      const rate = (r: LoadResult) => (r.calls / r.wallMs) * 1000;
      const directRuns = results.get("direct") ?? [];
      const wardenRuns = results.get("warden") ?? [];
      const ratios = spread(wardenRuns.map((w, i) => rate(w) / rate(directRuns[i] as LoadResult)));
      for (const [name, runs] of [
        ["direct to the upstream (HTTP)", directRuns],
        ["through the warden (HTTP → stdio)", wardenRuns],
      ] as const) {
        rows.push([
          num(level),
          name,
          showSpread(spread(runs.map(rate))),
          ms(spread(runs.map((r) => r.p50Us)).median / 1000),
          num(spread(runs.map((r) => (100 * r.serverCpuMs) / r.wallMs)).median),
          num(spread(runs.map((r) => (100 * r.clientCpuMs) / r.wallMs)).median),
          mb(Math.max(...runs.map((r) => r.peakRssKb))),
          name.startsWith("through") ? showSpread(ratios, (v) => `${num(100 * v)}%`) : "",
        ]);
      }
      goals.push({
        benchmark: "3 throughput",
        goal: `${level} client${level > 1 ? "s" : ""}: warden ≥ 90% of direct calls/s`,
        measured: `${num(100 * ratios.median)}% (rounds ${showSpread(ratios, (v) => `${num(100 * v)}%`)})`,
        met: ratios.median >= 0.9,
      });
      for (const c of [...direct, ...warden]) await c.close().catch(() => {});
      open.length = 0;
    }
  } finally {
    for (const c of open) await c.close().catch(() => {});
    await serve?.stop();
    await echoHttp?.stop();
  }
  return {
    name: "3. Throughput: concurrent clients over HTTP",
    tables: [
      {
        title: `Throughput (${rounds} alternating rounds of ${num(durationMs / 1000)} s per path and level; calls/s min / median / max)`,
        headers: [
          "clients",
          "path",
          "calls/s",
          "p50 ms",
          "server CPU %",
          "client CPU %",
          "peak RSS MB",
          "warden / direct",
        ],
        rows,
        leftColumns: 2,
      },
    ],
    goals,
    notes: [
      "Server CPU is % of one core: the echo server for the direct path; serve plus its stdio upstream for the warden path. Peak RSS is the echo server's or serve's (sampled every 50 ms). The client is one Node process with one SDK client (own session) per concurrent client.",
      "The machine has the cores it has: client, serve and upstream share them, so the warden path also competes for CPU with its own load generator.",
    ],
  };
}

export const throughput: Benchmark = {
  name: "throughput",
  describe: "3. Throughput: 1, 10 and 100 concurrent clients over HTTP",
  run: runThroughput,
};

await runIfMain(import.meta.url, throughput);
