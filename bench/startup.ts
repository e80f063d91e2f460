/**
 * Benchmark 5, start-up: `mcp-warden serve` from launch to its first answered `tools/call` (an SDK client
 * connecting over HTTP as soon as serve prints that it listens), beside the echo upstream's own start
 * (launch to first answer over stdio, straight from an SDK client). Serve starts its stdio upstreams
 * before it listens, so its figure includes one upstream start; the goal is on the difference.
 * Also: serve with a 100,000-call audit log to read back, and two floors (bare node; the CLI loading
 * its dependencies and exiting).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { callEcho, httpClient, stdioClient } from "./lib/clients.js";
import { builtCli } from "./lib/paths.js";
import {
  CLIENT_TOKEN,
  ECHO_POLICY,
  echoServerPath,
  echoStdioConfig,
  startServe,
  tempDir,
} from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { writeAuditLog } from "./lib/seed.js";
import { num, showSpread, spread } from "./lib/stats.js";

interface ServeStart {
  listenMs: number;
  firstMs: number;
}

async function upstreamStart(echo: string): Promise<number> {
  const t0 = performance.now();
  const client = await stdioClient(process.execPath, [echo]);
  await callEcho(client.client);
  const ms = performance.now() - t0;
  await client.close();
  return ms;
}

async function serveStart(auditLog: string | undefined, cli?: string): Promise<ServeStart> {
  const dataDir = tempDir("startup");
  if (auditLog) {
    mkdirSync(dataDir, { recursive: true });
    copyFileSync(auditLog, join(dataDir, "audit.jsonl"));
  }
  const serve = await startServe({
    policy: ECHO_POLICY,
    servers: { echo: await echoStdioConfig() },
    dataDir,
    ...(cli ? { cli } : {}),
  });
  try {
    const client = await httpClient(serve.endpoint("echo"), CLIENT_TOKEN);
    await callEcho(client.client);
    const first = performance.now();
    await client.close();
    return { listenMs: serve.listeningAt - serve.launchedAt, firstMs: first - serve.launchedAt };
  } finally {
    await serve.stop();
  }
}

function timeCommand(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${r.status}`);
  return performance.now() - t0;
}

/** Runs the start-up benchmark. */
export async function runStartup(options: BenchOptions): Promise<BenchReport> {
  const rounds = options.quick ? 2 : 5;
  const cli = builtCli();
  const echo = await echoServerPath();
  const seededCalls = options.quick ? 20_000 : 100_000;
  const seeded = join(tempDir("startup-log"), "audit.jsonl");
  const seededBytes = writeAuditLog(seeded, seededCalls);

  await upstreamStart(echo);
  await serveStart(undefined);
  const bare: number[] = [];
  const cliLoad: number[] = [];
  const upstream: number[] = [];
  const fresh: ServeStart[] = [];
  const withLog: ServeStart[] = [];
  const builds = options.compareCli?.split(",").filter(Boolean) ?? [];
  const compared = builds.map(() => [] as ServeStart[]);
  for (let round = 0; round < rounds; round++) {
    const steps: (() => Promise<void>)[] = [
      async () => {
        bare.push(timeCommand(["-e", "0"]));
        cliLoad.push(timeCommand([cli, "schema"]));
      },
      async () => {
        upstream.push(await upstreamStart(echo));
      },
      async () => {
        fresh.push(await serveStart(undefined));
      },
      async () => {
        withLog.push(await serveStart(seeded));
      },
      ...builds.map((build, i) => async () => {
        compared[i]?.push(await serveStart(undefined, build));
      }),
    ];
    for (let i = 0; i < steps.length; i++) await steps[(i + round) % steps.length]?.();
  }

  const ms = (v: number) => num(v);
  const upstreamMedian = spread(upstream).median;
  const freshFirst = spread(fresh.map((s) => s.firstMs));
  const added = spread(fresh.map((s, i) => s.firstMs - (upstream[i] ?? Number.NaN)));
  return {
    name: "5. Start-up: launch to first answered call",
    tables: [
      {
        title: `Start-up (ms; min / median / max of ${rounds} rounds, in rotating order)`,
        headers: ["what", "to listening", "to first answered call"],
        rows: [
          ["node -e 0 (bare node)", "", showSpread(spread(bare), ms)],
          [
            "mcp-warden schema (load the CLI and its dependencies, exit)",
            "",
            showSpread(spread(cliLoad), ms),
          ],
          [
            "echo upstream alone: SDK client over stdio, launch → first answer",
            "",
            showSpread(spread(upstream), ms),
          ],
          [
            "mcp-warden serve (fresh data folder) → SDK client over HTTP",
            showSpread(spread(fresh.map((s) => s.listenMs)), ms),
            showSpread(freshFirst, ms),
          ],
          ["  serve minus the upstream's own start (paired by round)", "", showSpread(added, ms)],
          [
            `mcp-warden serve with a ${num(seededCalls)}-call audit log (${num(seededBytes / 2 ** 20, 1)} MB) to read back`,
            showSpread(spread(withLog.map((s) => s.listenMs)), ms),
            showSpread(spread(withLog.map((s) => s.firstMs)), ms),
          ],
          ...builds.map((build, i) => [
            `--compare build ${build}, fresh data folder`,
            showSpread(spread((compared[i] ?? []).map((s) => s.listenMs)), ms),
            showSpread(spread((compared[i] ?? []).map((s) => s.firstMs)), ms),
          ]),
        ],
      },
    ],
    goals: [
      {
        benchmark: "5 start-up",
        goal: "serve launch → first answered call ≤ 500 ms + the upstream's own start",
        measured: `${num(freshFirst.median)} ms = upstream ${num(upstreamMedian)} ms + ${num(added.median)} ms`,
        met: added.median <= 500,
      },
    ],
    notes: [
      "Serve is the built dist/cli.js with a fresh data folder each time (tokens, settings and audit files are created on the way), policy with an argument schema and a limit, the echo upstream over stdio.",
      "The first call includes the client's HTTP connection, initialize and the call itself.",
    ],
  };
}

export const startup: Benchmark = {
  name: "startup",
  describe: "5. Start-up: mcp-warden serve from launch to its first answered call",
  run: runStartup,
};

await runIfMain(import.meta.url, startup);
