/**
 * Benchmark 1b, the warden's own cost per call, measured inside the process: the real `Warden` (as
 * `serve` builds it: the same policy, audit file and settings store) handles `tools/call`s whose upstream
 * answers in-process at once, so all that is timed is the warden's pipeline: decision, limit reservation,
 * write-ahead audit line, outcome line and bookkeeping. Then each step alone, to show where the
 * microseconds go, and the same pipeline in front of the real stdio echo upstream (total minus the time
 * spent waiting for the upstream).
 */
import { randomUUID } from "node:crypto";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CallLog } from "../main/core/audit/call-log.js";
import { fileSettings } from "../main/core/config/settings.js";
import { decide, type PolicyCall } from "../main/core/policy/decide.js";
import type { IncomingCall } from "../main/core/proxy/gate.js";
import { parseMessages, type RawMessage } from "../main/core/proxy/raw-json.js";
import { Warden } from "../main/core/warden.js";
import type { CallRecord } from "../shared/contract.js";
import { ECHO_ARGS } from "./lib/clients.js";
import { ECHO_POLICY, echoStdioConfig, tempDir } from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport, Table } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { num, percentiles, showSpread, spread } from "./lib/stats.js";

const RESULT: CallToolResult = { content: [{ type: "text", text: ECHO_ARGS.text }] };
const ANSWER: RawMessage = message({ jsonrpc: "2.0", id: 1, result: RESULT });
const REQUEST: RawMessage = message({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "echo", arguments: ECHO_ARGS },
});

function message(value: unknown): RawMessage {
  return parseMessages(JSON.stringify(value)).messages[0] as RawMessage;
}

/** The call; `forward` is what the upstream does (in process first, then the real stdio server). */
const CALL: IncomingCall = {
  server: "echo",
  tool: "echo",
  args: ECHO_ARGS,
  grant: "cli",
  session: "3f2b8c1e-6a4d-4e8f-9b1a-2c7d5e9f0a13",
  forward: async () => ANSWER,
};

/** Nanoseconds per call of a synchronous step: the median of timed batches over about `forMs`. */
function nsPerCall(step: () => unknown, batch: number, forMs: number): number {
  const perBatch: number[] = [];
  const until = performance.now() + forMs;
  for (let i = 0; i < 10_000 && (performance.now() < until || perBatch.length < 5); i++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) step();
    perBatch.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return percentiles(perBatch).p50;
}

/** Each call timed alone, in microseconds. */
async function timedHandleCalls(warden: Warden, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const result = await warden.handleCall(CALL);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (result.refused) throw new Error(`the warden refused the benchmark call: ${JSON.stringify(result)}`);
  }
  return out;
}

/** Runs the own-cost benchmark. */
export async function runOwnCost(options: BenchOptions): Promise<BenchReport> {
  const repeats = options.quick ? 3 : 7;
  const perRepeat = options.quick ? 2_000 : 5_000;
  // Past the ring's 5,000 calls, so the steady state (oldest call dropped per call) is what is measured.
  const warmup = options.quick ? 6_000 : 10_000;
  const stepMs = options.quick ? 100 : 300;

  const dir = tempDir("own-cost");
  const policyPath = join(dir, "policy.json");
  writeFileSync(policyPath, ECHO_POLICY);
  const warden = await Warden.start({
    policyPath,
    servers: { mcpServers: { echo: await echoStdioConfig() } },
    auditPath: join(dir, "audit.jsonl"),
    settings: fileSettings(dir),
  });
  try {
    const upstream = warden.upstreams.get("echo");
    if (!(await upstream?.whenReady(20_000)) || !upstream) throw new Error("the echo upstream did not start");
    const lane = await upstream.laneFor({
      grant: CALL.grant,
      paramsText: JSON.stringify({
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      }),
      capabilities: {},
      protocolVersion: "2025-11-25",
    });

    // 1. The pipeline alone: the upstream answers in-process.
    await timedHandleCalls(warden, warmup);
    const pipeline: { p50: number; p99: number }[] = [];
    for (let r = 0; r < repeats; r++) pipeline.push(percentiles(await timedHandleCalls(warden, perRepeat)));

    // 2. Each step alone.
    const policyCall: PolicyCall = { ...CALL };
    const now = Date.now();
    const decideCtx = () => ({ denyAll: false, limits: warden.limiter, now });
    const decision = decide(warden.policy, policyCall, decideCtx());
    const record: CallRecord = {
      id: randomUUID(),
      ts: now,
      client: CALL.grant,
      session: CALL.session,
      server: CALL.server,
      tool: CALL.tool,
      args: CALL.args,
      status: "allowed",
      rule: decision.rule,
      reason: decision.reason,
    };
    const outcome = { id: record.id, ts: now, outcome: "ok" as const, latencyMs: 1 };
    const decisionLine = `${JSON.stringify({ t: "decision", ...record, counterKeys: decision.counterKeys })}\n`;
    const outcomeLine = `${JSON.stringify({ t: "outcome", ...outcome })}\n`;
    const rawFile = join(dir, "raw.jsonl");
    const rawFd = openSync(rawFile, "a");
    const fullRing = new CallLog(join(dir, "ring-full.jsonl"), 5_000);
    const openRing = new CallLog(join(dir, "ring-open.jsonl"), 100_000_000);
    await fullRing.open(0);
    await openRing.open(0);
    for (let i = 0; i < 6_000; i++) fullRing.decision({ ...record, id: randomUUID() }, decision.counterKeys);
    const logCall = (log: CallLog) => () => {
      const id = randomUUID();
      log.decision({ ...record, id }, decision.counterKeys);
      log.outcome({ ...outcome, id });
    };
    const steps: [string, () => unknown, number][] = [
      [
        "decide() (the compiled policy, one rule with an argument schema and a limit)",
        () => decide(warden.policy, policyCall, decideCtx()),
        2_000,
      ],
      ["warden.denyAll (settings read; handleCall reads it twice)", () => warden.denyAll, 200],
      ["randomUUID() (call id)", () => randomUUID(), 2_000],
      [
        "limiter.reserve() (one counter key)",
        () => warden.limiter.reserve(decision.counterKeys, Date.now()),
        2_000,
      ],
      ["audit: decision + outcome lines, ring full (CallLog)", logCall(fullRing), 200],
      ["audit: the same, ring not yet full", logCall(openRing), 200],
      [
        "  of which JSON.stringify of both lines",
        () => JSON.stringify({ t: "decision", ...record }) + JSON.stringify(outcome),
        2_000,
      ],
      [
        "  of which fs.writeSync of both lines",
        () => {
          writeSync(rawFd, decisionLine);
          writeSync(rawFd, outcomeLine);
        },
        200,
      ],
      ["events.emit('call') with no listener", () => warden.events.emit("call", { ...record }), 2_000],
    ];
    const stepRows = steps.map(([label, step, batch]) => {
      const repeatsNs = Array.from({ length: options.quick ? 2 : 3 }, () => nsPerCall(step, batch, stepMs));
      return [label, showSpread(spread(repeatsNs), (v) => num(v / 1000, 2))];
    });
    closeSync(rawFd);
    fullRing.close();
    openRing.close();

    // 3. In front of the real stdio upstream (the client's own lane): total minus the time spent there.
    let upstreamUs = 0;
    CALL.forward = async () => {
      const t0 = process.hrtime.bigint();
      try {
        return await lane.request(undefined, REQUEST, { timeoutMs: 60_000 });
      } finally {
        upstreamUs = Number(process.hrtime.bigint() - t0) / 1000;
      }
    };
    const realCalls = options.quick ? 500 : 2_000;
    const totals: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < realCalls + 200; i++) {
      const t0 = process.hrtime.bigint();
      await warden.handleCall(CALL);
      const total = Number(process.hrtime.bigint() - t0) / 1000;
      if (i < 200) continue;
      totals.push(total);
      own.push(total - upstreamUs);
    }

    const p50s = spread(pipeline.map((p) => p.p50));
    const p99s = spread(pipeline.map((p) => p.p99));
    const realOwn = percentiles(own);
    const tables: Table[] = [
      {
        title: "The warden's own cost per tools/call, in process (µs; min / median / max across repeats)",
        headers: ["measure", "p50", "p99"],
        rows: [
          [
            `handleCall(), upstream answers in-process (${repeats} × ${num(perRepeat)} calls)`,
            showSpread(p50s, (v) => num(v, 1)),
            showSpread(p99s, (v) => num(v, 1)),
          ],
          [
            `handleCall() − upstream wait, real stdio upstream (${num(realCalls)} calls)`,
            num(realOwn.p50, 1),
            num(realOwn.p99, 1),
          ],
          [
            "  the whole call through the real stdio upstream",
            num(percentiles(totals).p50, 1),
            num(percentiles(totals).p99, 1),
          ],
        ],
      },
      {
        title: "Each step alone (µs per call; min / median / max across repeats)",
        headers: ["step", "µs"],
        rows: stepRows,
      },
    ];
    return {
      name: "1b. The warden's own cost per call",
      tables,
      goals: [
        {
          benchmark: "1 own cost",
          goal: "decision + audit + bookkeeping ≤ 30 µs p50",
          measured: `${num(p50s.median, 1)} µs (repeats ${showSpread(p50s, (v) => num(v, 1))})`,
          met: p50s.median <= 30,
        },
      ],
      notes: [
        "The real Warden class with serve's settings store (settings.json via conf) and an audit file in the temp folder; the call is allowed by a rule with an argument schema and a per-client limit.",
      ],
    };
  } finally {
    await warden.close();
  }
}

export const ownCost: Benchmark = {
  name: "own-cost",
  describe: "1b. The warden's own cost per call, in process",
  run: runOwnCost,
};

await runIfMain(import.meta.url, ownCost);
