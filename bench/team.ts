/**
 * Benchmark 10, team limits: what a team-wide limit adds per call beside a local one. The real `Team`
 * in process, against a real redis-server on loopback (no persistence), and the real `decide()`: per call,
 * (a) a local limit: decide() + the in-memory reserve; (b) a team-wide limit: decide() + the atomic
 * reserve on Redis (one EVALSHA round trip); (r) a bare PING on its own connection, the round trip's
 * floor. Calls are sequential (the added latency one call sees); paths alternate in rounds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { loadPolicy } from "../main/core/policy/compile.js";
import { type DecideContext, decide, type PolicyCall } from "../main/core/policy/decide.js";
import { RateLimiter } from "../main/core/policy/limits.js";
import { teamGate } from "../main/core/team/gate.js";
import { loadOrCreateKeys } from "../main/core/team/keys.js";
import { readTeamSettings } from "../main/core/team/settings.js";
import { Team } from "../main/core/team/team.js";
import { tempDir } from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { num, percentiles, showSpread, spread } from "./lib/stats.js";

/** The same rule twice: counted here, and counted on the team's Redis. */
function policyWith(team: boolean) {
  const compiled = loadPolicy(
    JSON.stringify({
      version: "1",
      default: "deny",
      tools: {
        pause_vm: {
          limits: [{ counter: "pauses", window: "hour", max: 1_000_000_000, scope: "global", team }],
        },
      },
    }),
  );
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.policy;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    "/usr/bin/redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return child;
}

/** µs of each of `count` sequential runs of `step`. */
async function timeEach(count: number, step: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await step(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

/** Runs the team-limits benchmark. */
export async function runTeam(options: BenchOptions): Promise<BenchReport> {
  const rounds = options.quick ? 3 : 7;
  const perRound = options.quick ? 500 : 3_000;
  const port = await freePort();
  const server = await startRedisServer(port);
  const dataDir = tempDir("bench-team-");
  const keys = loadOrCreateKeys(dataDir);
  const settings = new Map<string, unknown>([
    [
      "team",
      { redis: `redis://127.0.0.1:${port}`, name: "bench", member: "me", members: { me: keys.publicKey } },
    ],
  ]);
  const teamSettings = readTeamSettings({ get: (k) => settings.get(k), set: () => {} });
  if (!teamSettings) throw new Error("no team settings");
  const team = new Team(teamSettings, keys);
  const connected = new Promise<void>((resolve) =>
    team.on("status", (s) => s.state === "connected" && resolve()),
  );
  team.start();
  await connected;
  const ping = new Redis(`redis://127.0.0.1:${port}`);
  try {
    const local = policyWith(false);
    const shared = policyWith(true);
    const limiter = new RateLimiter();
    const call = (i: number): PolicyCall => ({
      server: "virt",
      tool: "pause_vm",
      args: { vm_name: `vm-${i}` },
      grant: "bench",
      session: "s",
    });
    const ctx = (): DecideContext => ({ denyAll: false, limits: limiter, now: Date.now() });
    const paths: [string, (i: number) => Promise<unknown> | unknown][] = [
      [
        "(a) local limit: decide + reserve in memory",
        (i) => limiter.reserve(decide(local, call(i), ctx()).counterKeys, Date.now()),
      ],
      [
        "(b) team-wide limit: decide + atomic reserve on Redis",
        async (i) => {
          const gate = await teamGate(team, decide(shared, call(i), ctx()), `c${i}`, 3_600_000);
          if (gate.decision.verdict === "deny") throw new Error(gate.decision.reason);
        },
      ],
      ["(r) bare PING round trip", () => ping.ping()],
    ];
    const p50s = new Map<string, number[]>();
    const p99s = new Map<string, number[]>();
    // Warm-up: the script loaded, the connections and the JIT settled.
    for (const [, step] of paths) await timeEach(200, step);
    for (let r = 0; r < rounds; r++) {
      for (const [label, step] of paths) {
        const { p50, p99 } = percentiles(await timeEach(perRound, step));
        p50s.set(label, [...(p50s.get(label) ?? []), p50]);
        p99s.set(label, [...(p99s.get(label) ?? []), p99]);
      }
    }
    const median = (label: string) => spread(p50s.get(label) ?? []).median;
    const [a, b, floor] = paths.map(([label]) => median(label)) as [number, number, number];
    const rows = paths.map(([label]) => [
      label,
      showSpread(spread(p50s.get(label) ?? []), (v) => num(v, 1)),
      showSpread(spread(p99s.get(label) ?? []), (v) => num(v, 1)),
      num(median(label) / a, 1),
    ]);
    const added = b - a;
    return {
      name: "10. Team limits: a team-wide limit beside a local one",
      tables: [
        {
          title: `Per call, sequential (µs; min / median / max across ${rounds} rounds of ${num(perRound)} calls)`,
          headers: ["path", "p50 µs", "p99 µs", "× local"],
          rows,
        },
      ],
      goals: [
        {
          benchmark: "10 team",
          goal: "a team-wide limit adds one round trip, ≤ 300 µs p50 on loopback",
          measured: `+${num(added, 1)} µs p50 (a bare round trip: ${num(floor, 1)} µs)`,
          met: added <= 300,
        },
      ],
      notes: [
        "Redis is a local redis-server (no persistence) on 127.0.0.1; the script is sent by its hash (EVALSHA), so a call is one short command and one answer.",
        "The counter's sorted set grows with every call of the run (nothing is given back), as under a real hour-long window.",
      ],
    };
  } finally {
    ping.disconnect();
    await team.close();
    server.kill("SIGTERM");
  }
}

export const team: Benchmark = {
  name: "team",
  describe: "10. Team limits: a team-wide limit's added cost per call beside a local one",
  run: runTeam,
};

await runIfMain(import.meta.url, team);
