/**
 * Benchmark 2, decisions: `decide()` on compiled policies of 1, 100 and 1,000 rules, every rule with an
 * argument schema and limits (every tenth a list of sub-rules with matches and a regex condition), against
 * counters that already hold calls. The calls cycle through all the policy's tools, so the lookups and
 * compiled validators are not always the same hot one.
 */

import { loadPolicy } from "../main/core/policy/compile.js";
import { type DecideContext, decide, type PolicyCall } from "../main/core/policy/decide.js";
import { RateLimiter } from "../main/core/policy/limits.js";
import type { Benchmark, BenchOptions, BenchReport } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { num, percentiles, showSpread, spread } from "./lib/stats.js";

const ARGS_SCHEMA = {
  type: "object",
  properties: {
    vm_name: { type: "string", pattern: "^(dev|test|prod)-[a-z0-9-]+$" },
    count: { type: "integer", minimum: 0, maximum: 1000 },
    mode: { enum: ["read", "write"] },
  },
  required: ["vm_name"],
  additionalProperties: false,
};

/** A policy of `n` rules named tool_0 … tool_{n-1}. */
export function policyText(n: number): string {
  const tools: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const limits = [
      { counter: `rate_${i}`, window: "minute", max: 1_000_000, scope: "grant" },
      { counter: "all_calls", window: "hour", max: 1_000_000_000, scope: "global" },
    ];
    const rule = {
      args: { ...ARGS_SCHEMA, $comment: `tool_${i}` },
      conditions: [{ path: "count", op: "lte", value: 500 }],
      limits,
    };
    tools[`tool_${i}`] =
      i % 10 === 9
        ? [
            { match: { mode: "read" }, action: "allow" },
            {
              match: [{ path: "vm_name", op: "regex", value: "^prod-" }],
              action: "deny",
              reason: "Not production",
            },
            rule,
          ]
        : rule;
  }
  return JSON.stringify({ version: "1", default: "deny", tools });
}

const GOOD_ARGS = { vm_name: "dev-web-01", count: 3, mode: "write" };

function callFor(tool: string, args: Record<string, unknown> = GOOD_ARGS): PolicyCall {
  return { server: "virtualization", tool, args, grant: "claude-desktop", session: "s-1" };
}

/**
 * Median ns per decision over timed batches cycling through `calls`, about `forMs` long: by the wall
 * clock and by the process's CPU time (which a busy machine's other processes do not inflate).
 */
function medianNs(
  run: (call: PolicyCall) => unknown,
  calls: readonly PolicyCall[],
  forMs: number,
): { wall: number; cpu: number } {
  const batch = 2_000;
  const wall: number[] = [];
  const cpu: number[] = [];
  let k = 0;
  const until = performance.now() + forMs;
  for (let i = 0; i < 100_000 && (performance.now() < until || wall.length < 5); i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) run(calls[k++ % calls.length] as PolicyCall);
    wall.push(Number(process.hrtime.bigint() - t0) / batch);
    const c = process.cpuUsage(c0);
    cpu.push(((c.user + c.system) * 1000) / batch);
  }
  return { wall: percentiles(wall).p50, cpu: percentiles(cpu).p50 };
}

/** p99 of single decisions, each timed alone (includes the clock's own ~50 ns). */
function p99Ns(run: (call: PolicyCall) => unknown, calls: readonly PolicyCall[], count: number): number {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const call = calls[i % calls.length] as PolicyCall;
    const t0 = process.hrtime.bigint();
    run(call);
    out.push(Number(process.hrtime.bigint() - t0));
  }
  return percentiles(out).p99;
}

/** Runs the decisions benchmark. */
export async function runDecisions(options: BenchOptions): Promise<BenchReport> {
  const repeats = options.quick ? 3 : 7;
  const forMs = options.quick ? 100 : 300;
  const rows: string[][] = [];
  let at1000 = Number.NaN;
  for (const n of [1, 100, 1_000]) {
    const text = policyText(n);
    const compileMs: number[] = [];
    let compiled: ReturnType<typeof loadPolicy> | undefined;
    for (let r = 0; r < (options.quick ? 2 : 3); r++) {
      const t0 = performance.now();
      compiled = loadPolicy(text);
      compileMs.push(performance.now() - t0);
    }
    if (!compiled?.ok) throw new Error(`policy of ${n} rules does not compile: ${JSON.stringify(compiled)}`);
    const policy = compiled.policy;
    const limiter = new RateLimiter();
    const now = Date.now();
    const ctx: DecideContext = { denyAll: false, limits: limiter, now };
    // Every tool, in a fixed shuffled order; its counters already hold 50 calls of the last minute.
    const calls = Array.from({ length: n }, (_, i) => callFor(`tool_${(i * 7_919) % n}`));
    for (const call of calls) {
      const decision = decide(policy, call, ctx);
      if (decision.verdict !== "allow") throw new Error(`${call.tool}: ${decision.reason}`);
      for (let j = 0; j < 50; j++) limiter.reserve(decision.counterKeys, now - 60_000 + j * 1_000);
    }
    const variants: [string, PolicyCall[]][] = [
      ["allowed: schema, condition and limits checked", calls],
      ...(n === 1_000
        ? ([
            [
              "refused: an argument breaks the schema",
              calls.map((c) => ({ ...c, args: { vm_name: "staging" } })),
            ],
            ["no rule for the tool (default)", [callFor("unknown_tool")]],
            [
              "operation: vm_management {action: stop}",
              [callFor("vm_management", { action: "stop", vm_name: "dev-1" })],
            ],
          ] as [string, PolicyCall[]][])
        : []),
    ];
    for (const [label, variantCalls] of variants) {
      const run = (call: PolicyCall) => decide(policy, call, ctx);
      const measured = Array.from({ length: repeats }, () => medianNs(run, variantCalls, forMs));
      const cpu = spread(measured.map((m) => m.cpu));
      const wall = spread(measured.map((m) => m.wall));
      if (n === 1_000 && variantCalls === calls) at1000 = cpu.median;
      rows.push([
        num(n),
        label,
        variantCalls === calls ? showSpread(spread(compileMs), (v) => num(v, 1)) : "",
        showSpread(cpu),
        showSpread(wall),
        num(1e9 / wall.median),
        num(p99Ns(run, variantCalls, options.quick ? 20_000 : 100_000)),
      ]);
    }
  }
  return {
    name: "2. Decisions: decide() per call",
    tables: [
      {
        title: "decide() (ns; min / median / max across repeats)",
        headers: [
          "rules",
          "call",
          "compile ms",
          "median ns (CPU time)",
          "median ns (wall)",
          "decisions/s (wall)",
          "p99 ns (single, wall)",
        ],
        rows,
        leftColumns: 2,
      },
    ],
    goals: [
      {
        benchmark: "2 decisions",
        goal: "≤ 5 µs median at 1,000 rules",
        measured: `${num(at1000 / 1000, 2)} µs (CPU time; wall clock in the table)`,
        met: at1000 <= 5_000,
      },
    ],
    notes: [
      "Each rule: an argument schema (pattern, range, enum, no extra properties), a condition, two limits (per client and global); every tenth rule is three sub-rules (match, regex condition, then the rule).",
      "Median ns is batch time / batch size over batches of 2,000 decisions cycling through every tool, by CPU time (the goal's figure: other processes on a busy machine do not inflate it) and by the wall clock; compile ms is loadPolicy() (parse, validate, compile) of the whole policy.",
    ],
  };
}

export const decisions: Benchmark = {
  name: "decisions",
  describe: "2. Decisions: decide() with 1, 100 and 1,000 rules",
  run: runDecisions,
};

await runIfMain(import.meta.url, decisions);
