/**
 * Benchmark 1, overhead: sequential `tools/call`s from a real SDK client, side by side on four paths to
 * the same echo upstream code, plus a floor reference:
 *   (a) client → upstream over stdio
 *   (b) client → upstream over Streamable HTTP
 *   (c) client → `mcp-warden serve` over Streamable HTTP → upstream over stdio
 *   (d) client → `mcp-warden connect` over stdio → serve → upstream over stdio
 *   (r) a keep-alive `fetch` to a plain node:http handler (no MCP): what one HTTP round trip costs here
 * The paths alternate in rounds (order rotated each round) after a warm-up, so machine noise hits all alike.
 * Each path's processes are charged their CPU time (from /proc), so "µs of CPU per call" shows who works.
 */
import { type BenchClient, callEcho, httpClient, stdioClient, timedCalls } from "./lib/clients.js";
import {
  CLIENT_TOKEN,
  childPids,
  connectCommand,
  cpuMsOf,
  ECHO_POLICY,
  echoServerPath,
  echoStdioConfig,
  type Running,
  type RunningServe,
  startEchoHttp,
  startServe,
} from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport, Goal } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { mean, ms, num, percentiles, showSpread, signed, spread } from "./lib/stats.js";

/** a, b, c, d, r; c1/d1, c2/d2 … for the builds given with --compare. */
type PathKey = string;

interface PathUnderTest {
  key: PathKey;
  label: string;
  call: () => Promise<unknown>;
  /** The processes that serve this path (their CPU is charged to it). */
  pids: () => number[];
}

interface Block {
  durations: number[];
  wallMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

const LABELS = {
  a: "(a) direct, stdio",
  b: "(b) direct, Streamable HTTP",
  c: "(c) warden serve, HTTP → stdio",
  d: "(d) warden connect, stdio → HTTP → stdio",
  r: "(r) floor: keep-alive fetch, no MCP",
} as const;

/** The builds given with --compare (comma-separated paths of cli.js). */
function compareBuilds(option: string | undefined): string[] {
  return option ? option.split(",").filter(Boolean) : [];
}

/** A --compare build's name: its folder, e.g. exp-json for /tmp/exp-json/dist/cli.js. */
function buildName(cli: string): string {
  const parts = cli.split("/").filter(Boolean);
  return parts[parts.length - 2] === "dist"
    ? (parts[parts.length - 3] ?? cli)
    : (parts[parts.length - 2] ?? cli);
}

async function runBlock(path: PathUnderTest, count: number, deadline: number): Promise<Block> {
  const pids = path.pids();
  const cpu0 = cpuMsOf(pids);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const durations = await timedCalls(path.call, count, deadline);
  const wallMs = performance.now() - t0;
  const client = process.cpuUsage(client0);
  return {
    durations,
    wallMs,
    serverCpuMs: cpuMsOf(pids) - cpu0,
    clientCpuMs: (client.user + client.system) / 1000,
  };
}

/** Runs the overhead benchmark. */
export async function runOverhead(options: BenchOptions): Promise<BenchReport> {
  const total = options.quick ? 300 : 2_000;
  const rounds = options.quick ? 3 : 5;
  const warmup = options.quick ? 50 : 300;
  const perRound = Math.ceil(total / rounds);
  const budgetMs = options.quick ? 30_000 : 180_000;

  const echoBundle = await echoServerPath();
  const clients: BenchClient[] = [];
  const processes: Running[] = [];
  const serves: RunningServe[] = [];
  try {
    const echoHttp = await startEchoHttp();
    processes.push(echoHttp);
    const serve = await startServe({ policy: ECHO_POLICY, servers: { echo: await echoStdioConfig() } });
    serves.push(serve);
    const direct = await stdioClient(process.execPath, [echoBundle]);
    const directHttp = await httpClient(echoHttp.url);
    clients.push(direct, directHttp);
    const rawUrl = echoHttp.url.replace(/\/mcp$/, "/raw");
    let rawId = 0;
    const rawCall = async () => {
      const res = await fetch(rawUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++rawId, method: "tools/call", params: {} }),
      });
      await res.json();
    };
    /** Paths (c) and (d) through one serve process. */
    const throughServe = async (
      running: RunningServe,
      [c, d]: [PathKey, PathKey],
      [cLabel, dLabel]: [string, string],
    ): Promise<PathUnderTest[]> => {
      const warden = await httpClient(running.endpoint("echo"), CLIENT_TOKEN);
      const connect = connectCommand(running, "echo");
      const bridged = await stdioClient(connect.command, connect.args);
      clients.push(warden, bridged);
      const pids = () => [running.pid, ...childPids(running.pid)];
      return [
        { key: c, label: cLabel, call: () => callEcho(warden.client), pids },
        {
          key: d,
          label: dLabel,
          call: () => callEcho(bridged.client),
          pids: () => [bridged.pid ?? 0, ...pids()],
        },
      ];
    };
    const paths: PathUnderTest[] = [
      { key: "a", label: LABELS.a, call: () => callEcho(direct.client), pids: () => [direct.pid ?? 0] },
      { key: "b", label: LABELS.b, call: () => callEcho(directHttp.client), pids: () => [echoHttp.pid] },
      ...(await throughServe(serve, ["c", "d"], [LABELS.c, LABELS.d])),
      { key: "r", label: LABELS.r, call: rawCall, pids: () => [echoHttp.pid] },
    ];
    const builds = compareBuilds(options.compareCli);
    for (const [i, cli] of builds.entries()) {
      const other = await startServe({
        policy: ECHO_POLICY,
        servers: { echo: await echoStdioConfig() },
        cli,
      });
      serves.push(other);
      const name = buildName(cli);
      paths.push(
        ...(await throughServe(
          other,
          [`c${i + 1}`, `d${i + 1}`],
          [`(c${i + 1}) as (c), build ${name}`, `(d${i + 1}) as (d), build ${name}`],
        )),
      );
    }

    const deadline = performance.now() + budgetMs;
    for (const path of paths) await timedCalls(path.call, warmup, deadline);
    const blocks = new Map<PathKey, Block[]>(paths.map((p) => [p.key, []]));
    for (let round = 0; round < rounds; round++) {
      const order = paths.map((_, i) => paths[(i + round) % paths.length] as PathUnderTest);
      for (const path of order) blocks.get(path.key)?.push(await runBlock(path, perRound, deadline));
    }
    return report(paths, blocks, {
      total,
      rounds,
      warmup,
      truncated: performance.now() > deadline,
      compareCli: options.compareCli,
    });
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    for (const s of serves) await s.stop();
    for (const p of processes) await p.stop();
  }
}

function report(
  paths: PathUnderTest[],
  blocks: Map<PathKey, Block[]>,
  run: { total: number; rounds: number; warmup: number; truncated: boolean; compareCli: string | undefined },
): BenchReport {
  const of = (key: PathKey) => blocks.get(key) ?? [];
  const pooled = (key: PathKey) => percentiles(of(key).flatMap((b) => b.durations));
  const roundP50 = (key: PathKey) => of(key).map((b) => percentiles(b.durations).p50);
  const rows = paths.map((path) => {
    const bs = of(path.key);
    const calls = bs.reduce((n, b) => n + b.durations.length, 0);
    const { p50, p99 } = pooled(path.key);
    return [
      path.label,
      num(calls),
      ms(p50 / 1000),
      ms(p99 / 1000),
      showSpread(spread(roundP50(path.key)), (v) => ms(v / 1000)),
      showSpread(spread(bs.map((b) => (b.durations.length / b.wallMs) * 1000))),
      num(mean(bs.map((b) => (b.serverCpuMs * 1000) / b.durations.length))),
      num(mean(bs.map((b) => (b.clientCpuMs * 1000) / b.durations.length))),
    ];
  });

  const added = (over: PathKey, base: PathKey) => {
    const perRound = roundP50(over).map((v, i) => v - (roundP50(base)[i] ?? Number.NaN));
    const p50 = pooled(over).p50 - pooled(base).p50;
    const p99 = pooled(over).p99 - pooled(base).p99;
    return { p50, p99, perRound: spread(perRound), ratio: pooled(over).p50 / pooled(base).p50 };
  };
  const comparisons: [string, PathKey, PathKey][] = [
    ["(c) over (b): the warden in front of an HTTP upstream", "c", "b"],
    ["(d) over (a): connect + warden in front of a stdio upstream", "d", "a"],
    ["(c) over (a): the warden's HTTP endpoint vs stdio direct", "c", "a"],
    ["(d) over (c): the connect bridge's own hop", "d", "c"],
    ["(b) over (r): the SDK's HTTP transports vs a bare round trip", "b", "r"],
  ];
  for (const [i, cli] of compareBuilds(run.compareCli).entries()) {
    const n = i + 1;
    const name = buildName(cli);
    comparisons.push(
      [`(c${n}) over (b): build ${name} in front of HTTP`, `c${n}`, "b"],
      [`(d${n}) over (a): build ${name} behind connect`, `d${n}`, "a"],
      [`(c${n}) over (c): build ${name} vs the build under test`, `c${n}`, "c"],
      [`(d${n}) over (d): build ${name} vs the build under test`, `d${n}`, "d"],
    );
  }
  const addedRows = comparisons.map(([label, over, base]) => {
    const a = added(over, base);
    return [
      label,
      signed(a.p50),
      showSpread(a.perRound, (v) => signed(v)),
      signed(a.p99),
      `${num(a.ratio, 2)}×`,
    ];
  });
  const cb = added("c", "b");
  const da = added("d", "a");
  const goals: Goal[] = [
    {
      benchmark: "1 overhead",
      goal: "(c) adds ≤ 250 µs p50 over (b)",
      measured: `${signed(cb.p50)} µs (rounds ${showSpread(cb.perRound, (v) => signed(v))})`,
      met: cb.p50 <= 250,
    },
    {
      benchmark: "1 overhead",
      goal: "(d) adds ≤ 1 ms p50 over (a)",
      measured: `${signed(da.p50)} µs (rounds ${showSpread(da.perRound, (v) => signed(v))})`,
      met: da.p50 <= 1_000,
    },
  ];
  const notes = [
    `${num(run.total)} sequential calls per path in ${run.rounds} alternating rounds after ${num(run.warmup)} warm-up calls per path; policy: echo with an argument schema and a per-client limit, default deny; audit log on.`,
    "Server CPU counts every process of the path: (c) serve + its stdio upstream, (d) connect + serve + upstream.",
  ];
  for (const [i, cli] of compareBuilds(run.compareCli).entries())
    notes.push(`(c${i + 1}) and (d${i + 1}) run ${cli}, side by side in the same rounds.`);
  if (run.truncated) notes.push("The time budget ran out: some rounds have fewer calls than planned.");
  return {
    name: "1. Overhead: sequential tools/call, side by side",
    tables: [
      {
        title: "Per path (ms; rounds = min / median / max across rounds)",
        headers: [
          "path",
          "calls",
          "p50",
          "p99",
          "p50 rounds",
          "calls/s rounds",
          "server CPU µs/call",
          "client CPU µs/call",
        ],
        rows,
      },
      {
        title: "Added latency (µs)",
        headers: ["comparison", "added p50", "added p50 rounds", "added p99", "p50 ratio"],
        rows: addedRows,
      },
    ],
    goals,
    notes,
  };
}

export const overhead: Benchmark = {
  name: "overhead",
  describe: "1. Overhead: sequential tools/call through each path",
  run: runOverhead,
};

await runIfMain(import.meta.url, overhead);
