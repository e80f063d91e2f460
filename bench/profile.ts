/**
 * Where the time of a call goes: CPU profiles (`node --cpu-prof`, 100 µs sampling) of the serve process
 * during path (c), of the echo server over HTTP during path (b), and of the `connect` bridge during path
 * (d), each over the same number of sequential calls. Time is shown per call, by package and by function,
 * so what is ours (mcp-warden's source) stands apart from the SDK's transports, hono's Node adapter,
 * undici, zod and Node itself.
 */
import { type BenchClient, callEcho, httpClient, stdioClient, timedCalls } from "./lib/clients.js";
import { newestProfile, type ProfileSummary, summarizeProfile, top } from "./lib/cpu-profile.js";
import {
  CLIENT_TOKEN,
  childPids,
  connectCommand,
  cpuMs,
  ECHO_POLICY,
  echoStdioConfig,
  type Running,
  type RunningServe,
  startEchoHttp,
  startServe,
  tempDir,
} from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport, Table } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { num, percentiles } from "./lib/stats.js";

const PROFILE_FLAGS = (dir: string) => ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "100"];

/** Monotonic microseconds, the clock V8 stamps its samples with. */
function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

interface Window {
  fromUs: number;
  toUs: number;
  calls: number;
  p50Us: number;
  /** CPU of the profiled process during the window, from /proc (ms). */
  cpuMs: number;
}

async function measureWindow(call: () => Promise<unknown>, count: number, pid: number): Promise<Window> {
  const cpu0 = cpuMs(pid);
  const fromUs = nowUs();
  const durations = await timedCalls(call, count, performance.now() + 120_000);
  const toUs = nowUs();
  return {
    fromUs,
    toUs,
    calls: durations.length,
    p50Us: percentiles(durations).p50,
    cpuMs: cpuMs(pid) - cpu0,
  };
}

/** Runs the profiling benchmark. */
export async function runProfile(options: BenchOptions): Promise<BenchReport> {
  const calls = options.quick ? 300 : 2_000;
  const warmup = options.quick ? 100 : 300;
  const serveDir = tempDir("prof-serve");
  const echoDir = tempDir("prof-echo");
  const connectDir = tempDir("prof-connect");
  const clients: BenchClient[] = [];
  let echoHttp: (Running & { url: string }) | undefined;
  let serve: RunningServe | undefined;
  let windows: { c: Window; b: Window; d: Window };
  try {
    echoHttp = await startEchoHttp(PROFILE_FLAGS(echoDir));
    serve = await startServe({
      policy: ECHO_POLICY,
      servers: { echo: await echoStdioConfig() },
      nodeArgs: PROFILE_FLAGS(serveDir),
    });
    const viaWarden = await httpClient(serve.endpoint("echo"), CLIENT_TOKEN);
    const direct = await httpClient(echoHttp.url);
    const connect = connectCommand(serve, "echo");
    const bridged = await stdioClient(connect.command, [...PROFILE_FLAGS(connectDir), ...connect.args]);
    clients.push(viaWarden, direct, bridged);
    for (const client of [viaWarden, direct, bridged]) {
      await timedCalls(() => callEcho(client.client), warmup, performance.now() + 60_000);
    }
    const upstreamPid = childPids(serve.pid)[0] ?? 0;
    const upstream0 = cpuMs(upstreamPid);
    const c = await measureWindow(() => callEcho(viaWarden.client), calls, serve.pid);
    const upstreamCpuMs = cpuMs(upstreamPid) - upstream0;
    const b = await measureWindow(() => callEcho(direct.client), calls, echoHttp.pid);
    const d = await measureWindow(() => callEcho(bridged.client), calls, bridged.pid ?? 0);
    windows = { c, b, d };
    for (const client of clients) await client.close().catch(() => {});
    clients.length = 0;
    await serve.stop();
    await echoHttp.stop();

    const profileOf = (dir: string, w: Window) => {
      const file = newestProfile(dir);
      return file ? summarizeProfile(file, w.fromUs, w.toUs) : undefined;
    };
    const serveProfile = profileOf(serveDir, c);
    const echoProfile = profileOf(echoDir, b);
    const connectProfile = profileOf(connectDir, d);
    return report(
      windows,
      { serve: serveProfile, echo: echoProfile, connect: connectProfile },
      upstreamCpuMs,
    );
  } finally {
    for (const client of clients) await client.close().catch(() => {});
    await serve?.stop();
    await echoHttp?.stop();
  }
}

function report(
  w: { c: Window; b: Window; d: Window },
  profiles: { serve?: ProfileSummary; echo?: ProfileSummary; connect?: ProfileSummary },
  upstreamCpuMs: number,
): BenchReport {
  const perCall = (us: number | undefined, window: Window) =>
    us === undefined ? "–" : num(us / window.calls, 1);
  const missing = Object.entries(profiles)
    .filter(([, p]) => !p)
    .map(([k]) => k);

  const categories = new Set<string>();
  for (const p of [profiles.serve, profiles.echo, profiles.connect])
    for (const [k] of top(p?.byPackage ?? new Map(), 40)) categories.add(k);
  const byCategory = [...categories]
    .map((k) => ({
      k,
      serve: profiles.serve?.byPackage.get(k),
      echo: profiles.echo?.byPackage.get(k),
      connect: profiles.connect?.byPackage.get(k),
    }))
    .sort((x, y) => (y.serve ?? 0) - (x.serve ?? 0));
  const categoryTable: Table = {
    title:
      "CPU per call by package (µs per call; Node and syscall time charged to the package that asked for it)",
    headers: ["package / part", "serve during (c)", "echo over HTTP during (b)", "connect during (d)"],
    rows: [
      ...byCategory
        .filter(
          (r) =>
            (r.serve ?? 0) / w.c.calls >= 1 ||
            (r.echo ?? 0) / w.b.calls >= 1 ||
            (r.connect ?? 0) / w.d.calls >= 1,
        )
        .map((r) => [r.k, perCall(r.serve, w.c), perCall(r.echo, w.b), perCall(r.connect, w.d)]),
      [
        "total sampled (idle excluded)",
        perCall(profiles.serve?.busyUs, w.c),
        perCall(profiles.echo?.busyUs, w.b),
        perCall(profiles.connect?.busyUs, w.d),
      ],
      [
        "process CPU from /proc (all threads)",
        num((w.c.cpuMs * 1000) / w.c.calls, 1),
        num((w.b.cpuMs * 1000) / w.b.calls, 1),
        num((w.d.cpuMs * 1000) / w.d.calls, 1),
      ],
      ["p50 latency of the path (µs, profiled)", num(w.c.p50Us), num(w.b.p50Us), num(w.d.p50Us)],
    ],
  };

  const tables: Table[] = [categoryTable];
  const serve = profiles.serve;
  if (serve) {
    tables.push({
      title: "serve during (c): top functions by self time",
      headers: ["function (source:line)", "package", "µs/call", "% of busy"],
      leftColumns: 2,
      rows: top(serve.selfByFunction, 25).map(([k, us]) => [
        k,
        serve.packageOfFunction.get(k) ?? "?",
        num(us / w.c.calls, 1),
        num((100 * us) / serve.busyUs, 1),
      ]),
    });
    const ours = top(
      new Map([...serve.inclusiveByFunction].filter(([k]) => / (main\/core|shared)\//.test(k))),
      15,
    );
    tables.push({
      title: "serve during (c): mcp-warden's own functions by inclusive time (callees included)",
      headers: ["function (source:line)", "µs/call", "% of busy"],
      rows: ours.map(([k, us]) => [k, num(us / w.c.calls, 1), num((100 * us) / serve.busyUs, 1)]),
    });
    const sdk = top(
      new Map([...serve.inclusiveByFunction].filter(([k]) => / (@modelcontextprotocol|@hono)\//.test(k))),
      12,
    );
    tables.push({
      title: "serve during (c): SDK and hono entry points by inclusive time",
      headers: ["function", "µs/call", "% of busy"],
      rows: sdk.map(([k, us]) => [k, num(us / w.c.calls, 1), num((100 * us) / serve.busyUs, 1)]),
    });
  }
  const notes = [
    `${num(w.c.calls)} sequential calls per path, profiled at 100 µs sampling (profiling slows the calls down; the overhead benchmark has the unprofiled latencies).`,
    `The stdio upstream behind serve used ${num((upstreamCpuMs * 1000) / w.c.calls, 1)} µs of CPU per call during (c) (from /proc).`,
  ];
  if (missing.length) notes.push(`No profile was written for: ${missing.join(", ")}.`);
  return { name: "1c. Profile: where the time of a call goes", tables, goals: [], notes };
}

export const profile: Benchmark = {
  name: "profile",
  describe: "1c. CPU profiles of serve, the HTTP upstream and connect",
  run: runProfile,
};

await runIfMain(import.meta.url, profile);
