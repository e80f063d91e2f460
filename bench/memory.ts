/**
 * Benchmark 4, memory: the resident set of `mcp-warden serve` (the headless core, one stdio upstream)
 * idle after start, then along 100,000 calls from 10 concurrent HTTP clients, and after they end.
 * The in-memory ring keeps at most 5,000 calls, so what the core holds should level off; serve runs
 * with `--trace-gc`, so beside the RSS the table shows the live heap after each full collection (what is
 * really kept) and the heap V8 has committed (what it keeps around between collections).
 * Then the same load, shorter, with V8's old space capped (`--max-old-space-size=64`): a what-if for
 * the launch flags.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { type BenchClient, callEcho, httpClient } from "./lib/clients.js";
import {
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  ECHO_POLICY,
  echoStdioConfig,
  memoryKb,
  type RunningServe,
  sleep,
  startEchoHttp,
  startServe,
} from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport, Goal, Table } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { mb, num, showSpread, spread } from "./lib/stats.js";

const CONCURRENCY = 10;

/** RSS samples of a process over `ms`, in kB. */
async function rssOver(pid: number, ms: number, samples = 5): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(ms / samples);
    out.push(memoryKb(pid).rss);
  }
  return out;
}

/** The latest full collection in `--trace-gc` output: live heap after it and heap committed, in MB. */
function lastFullGc(output: string): { liveMb: number; committedMb: number } | undefined {
  const all = [...output.matchAll(/Mark-Compact[^\n]*?-> ([\d.]+) \(([\d.]+)\) MB/g)];
  const m = all[all.length - 1];
  return m ? { liveMb: Number(m[1]), committedMb: Number(m[2]) } : undefined;
}

interface Run {
  idleKb: number[];
  curve: string[][];
  done: number;
  elapsedMs: number;
  afterKb: number;
  settledKb: number[];
  peakKb: number;
  maxLiveMb: number;
  listed: number;
  auditMb: number;
}

interface LoadPlan {
  total: number;
  budgetMs: number;
  nodeArgs: string[];
  /** How long RSS is sampled idle after start, and after the last call. */
  idleMs: number;
  settleMs: number;
}

async function loadServe({ total, budgetMs, nodeArgs, idleMs, settleMs }: LoadPlan): Promise<Run> {
  let serve: RunningServe | undefined;
  const clients: BenchClient[] = [];
  try {
    serve = await startServe({
      policy: ECHO_POLICY,
      servers: { echo: await echoStdioConfig() },
      nodeArgs: ["--trace-gc", ...nodeArgs],
    });
    const running = serve;
    const pid = serve.pid;
    const idleKb = await rssOver(pid, idleMs);
    for (let i = 0; i < CONCURRENCY; i++)
      clients.push(await httpClient(serve.endpoint("echo"), CLIENT_TOKEN));
    const gcCells = () => {
      const gc = lastFullGc(running.output());
      return gc ? [num(gc.liveMb, 1), num(gc.committedMb, 1)] : ["–", "–"];
    };
    const curve: string[][] = [["0 (10 sessions open)", mb(memoryKb(pid).rss), ...gcCells(), ""]];
    let maxLiveMb = 0;
    let done = 0;
    let next = total / 10;
    const t0 = performance.now();
    const deadline = t0 + budgetMs;
    await Promise.all(
      clients.map(async (c) => {
        while (done < total && performance.now() < deadline) {
          done++;
          await callEcho(c.client);
          if (done >= next) {
            next += total / 10;
            maxLiveMb = Math.max(maxLiveMb, lastFullGc(running.output())?.liveMb ?? 0);
            const rate = num((done / (performance.now() - t0)) * 1000);
            curve.push([num(done), mb(memoryKb(pid).rss), ...gcCells(), rate]);
          }
        }
      }),
    );
    const elapsedMs = performance.now() - t0;
    const after = memoryKb(pid);
    const settledKb = await rssOver(pid, settleMs);
    const listed = await fetch(`${serve.url}/api/listCalls`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ limit: 100_000 }),
    }).then((r) => r.json() as Promise<unknown[]>);
    return {
      idleKb,
      curve,
      done,
      elapsedMs,
      afterKb: after.rss,
      settledKb,
      peakKb: memoryKb(pid).peak,
      maxLiveMb,
      listed: listed.length,
      auditMb: statSync(join(serve.dataDir, "audit.jsonl")).size / 2 ** 20,
    };
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await serve?.stop();
  }
}

/**
 * The same load straight at the upstream over Streamable HTTP (the MCP SDK's own server, with no warden):
 * what a server holds for the same calls, the yardstick for the warden's RSS. Returns its RSS after the
 * load (the larger of right after and settled).
 */
async function loadDirect({ total, budgetMs, settleMs }: LoadPlan): Promise<{ kb: number; done: number }> {
  const echo = await startEchoHttp();
  const clients: BenchClient[] = [];
  try {
    for (let i = 0; i < CONCURRENCY; i++) clients.push(await httpClient(echo.url));
    let done = 0;
    const deadline = performance.now() + budgetMs;
    await Promise.all(
      clients.map(async (c) => {
        while (done < total && performance.now() < deadline) {
          done++;
          await callEcho(c.client);
        }
      }),
    );
    const pid = echo.pid;
    const after = memoryKb(pid).rss;
    return { kb: Math.max(after, ...(await rssOver(pid, settleMs))), done };
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await echo.stop();
  }
}

function table(title: string, run: Run, plan: LoadPlan): Table {
  return {
    title,
    headers: ["calls", "RSS MB", "live heap MB", "heap committed MB", "calls/s so far"],
    rows: [
      [
        "idle after start (min / median / max of 5 samples over 2 s)",
        showSpread(spread(run.idleKb), mb),
        "",
        "",
        "",
      ],
      ...run.curve,
      ["right after the last call", mb(run.afterKb), "", "", ""],
      [
        `${num(plan.settleMs / 1000, 1)} s later (min / median / max of 5 samples)`,
        showSpread(spread(run.settledKb), mb),
        "",
        "",
        "",
      ],
      ["peak RSS (VmHWM)", mb(run.peakKb), "", "", ""],
    ],
  };
}

/** Runs the memory benchmark. */
export async function runMemory(options: BenchOptions): Promise<BenchReport> {
  const total = options.quick ? 5_000 : 100_000;
  const idleMs = options.quick ? 1_000 : 2_000;
  const settleMs = options.quick ? 1_000 : 3_000;
  const mainPlan: LoadPlan = {
    total,
    budgetMs: options.quick ? 20_000 : 300_000,
    nodeArgs: [],
    idleMs,
    settleMs,
  };
  const cappedPlan: LoadPlan = {
    total: options.quick ? 2_000 : 30_000,
    budgetMs: options.quick ? 10_000 : 120_000,
    nodeArgs: ["--max-old-space-size=64"],
    idleMs,
    settleMs,
  };
  const main = await loadServe(mainPlan);
  const direct = await loadDirect(mainPlan);
  const capped = await loadServe(cappedPlan);

  const idle = spread(main.idleKb).median;
  const final = Math.max(main.afterKb, ...main.settledKb);
  const goals: Goal[] = [
    { benchmark: "4 memory", goal: "idle ≤ 80 MB", measured: `${mb(idle)} MB`, met: idle <= 80 * 1024 },
    {
      benchmark: "4 memory",
      goal: `after ${num(total)} calls ≤ 120 MB`,
      measured: `${mb(final)} MB RSS (live heap ≤ ${num(main.maxLiveMb, 1)} MB; peak RSS ${mb(main.peakKb)} MB)`,
      met: main.done >= total && final <= 120 * 1024,
    },
    {
      benchmark: "4 memory",
      goal: `after ${num(total)} calls ≤ 1.15× a direct SDK server's RSS`,
      measured: `${mb(final)} MB vs ${mb(direct.kb)} MB direct (${num(final / direct.kb, 2)}×; ${num(direct.done)} calls direct)`,
      met: main.done >= total && direct.done >= total && final <= 1.15 * direct.kb,
    },
  ];
  return {
    name: "4. Memory: resident set of serve",
    tables: [
      table(`serve as shipped: ${num(main.done)} calls`, main, mainPlan),
      table(
        `what-if: serve under node --max-old-space-size=64: ${num(capped.done)} calls`,
        capped,
        cappedPlan,
      ),
    ],
    goals,
    notes: [
      `${num(main.done)} calls in ${num(main.elapsedMs / 1000, 1)} s from ${CONCURRENCY} concurrent HTTP clients (what-if: ${num(capped.done)} in ${num(capped.elapsedMs / 1000, 1)} s; the two runs are not interleaved, so compare their rates loosely); policy with an argument schema and a per-client limit (its counter keeps a day of call times).`,
      `listCalls returned ${num(main.listed)} calls (the ring's bound); the audit file holds every call: ${num(main.auditMb, 1)} MB.`,
      "Live heap = V8's heap right after its latest full (mark-compact) collection, from --trace-gc: what the core actually keeps. Between full collections V8 lets the heap grow with garbage; RSS follows the committed heap, not the live one.",
    ],
  };
}

export const memory: Benchmark = {
  name: "memory",
  describe: "4. Memory: serve idle and after 100,000 calls",
  run: runMemory,
};

await runIfMain(import.meta.url, memory);
