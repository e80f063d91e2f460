/**
 * Benchmark 9, audit: what the hash chain costs per record (sequence number, SHA-256 of the line before,
 * the whole-write check, signed checkpoints), beside the plain append it replaced; and start-up with a
 * large rotated history (~1 GB of records, ~64 MB in `--quick`), beside a small one, without the snapshot,
 * and beside reading all of it (what start-up did before).
 */
import { closeSync, openSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CallLog } from "../main/core/audit/call-log.js";
import { lineHash } from "../main/core/audit/chain.js";
import { auditPaths, listSegments, logBytes } from "../main/core/audit/files.js";
import { linesForward } from "../main/core/audit/lines.js";
import { AuditStore } from "../main/core/audit/store.js";
import type { CallRecord } from "../shared/contract.js";
import { tempDir } from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { ms, num, showSpread, spread } from "./lib/stats.js";

const DAY = 86_400_000;
const TOOLS = ["list_vms", "get_vm_info", "start_vm", "stop_vm", "vm_management", "create_snapshot"];
const CLIENTS = ["claude-desktop", "cursor", "claude-code"];
const STOP_KEY = (client: string) => `stop_vm_rate\u0000grant:${client}`;

/** A call as the warden logs one (the seeded UI benchmark's shape). */
function record(i: number, ts: number): CallRecord {
  const tool = TOOLS[i % TOOLS.length] as string;
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    ts,
    client: CLIENTS[i % CLIENTS.length] as string,
    session: `session-${i % 50}`,
    server: "virtualization",
    tool,
    args: { vm_name: `dev-vm-${i % 40}`, ...(tool === "vm_management" ? { action: "list" } : {}) },
    status: "allowed",
    rule: `tools["${tool}"]`,
    reason: "allowed by policy",
  };
}

function keysOf(r: CallRecord): string[] {
  return r.tool === "stop_vm" ? [STOP_KEY(r.client)] : [];
}

/** Median µs per record over batches, by CPU time and by the wall clock. */
function perRecord(run: (i: number) => void, batches: number, batch: number): { cpu: number; wall: number } {
  const cpu: number[] = [];
  const wall: number[] = [];
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) run(i++);
    wall.push(Number(process.hrtime.bigint() - t0) / 1_000 / batch);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / batch);
  }
  return { cpu: spread(cpu).median, wall: spread(wall).median };
}

interface CostRow {
  label: string;
  cpu: number[];
  wall: number[];
}

/** Per-record cost of the plain append and of the chained one, alternating in rounds. */
async function chainCost(options: BenchOptions): Promise<{ rows: CostRow[]; chainUs: number }> {
  const rounds = options.quick ? 3 : 7;
  const batches = options.quick ? 5 : 10;
  const batch = 2_000;
  const now = Date.now();
  const line = (i: number) => JSON.stringify({ t: "decision", ...record(i, now + i), counterKeys: [] });
  const rows: CostRow[] = [
    { label: "plain append: JSON + writeSync (before chaining)", cpu: [], wall: [] },
    { label: "chained append: seq, prev, SHA-256, whole-write check, checkpoints", cpu: [], wall: [] },
    { label: "CallLog.decision() (chained append + ring and counters)", cpu: [], wall: [] },
    { label: "SHA-256 of one line alone", cpu: [], wall: [] },
  ];
  for (let round = 0; round < rounds; round++) {
    const dir = tempDir("audit-cost");
    const steps: (() => Promise<void>)[] = [
      async () => {
        const fd = openSync(join(dir, "plain.jsonl"), "a", 0o600);
        const m = perRecord((i) => writeSync(fd, `${line(i)}\n`), batches, batch);
        closeSync(fd);
        rows[0]?.cpu.push(m.cpu);
        rows[0]?.wall.push(m.wall);
      },
      async () => {
        const store = new AuditStore(join(dir, `chained-${round}.jsonl`));
        await store.open();
        const m = perRecord((i) => store.append(line(i), "decision", now + i), batches, batch);
        store.close();
        await store.settled();
        rows[1]?.cpu.push(m.cpu);
        rows[1]?.wall.push(m.wall);
      },
      async () => {
        const log = new CallLog(join(dir, `calllog-${round}.jsonl`));
        await log.open(now - DAY);
        const m = perRecord((i) => log.decision(record(i, now + i), []), batches, batch);
        log.close();
        await log.settled();
        rows[2]?.cpu.push(m.cpu);
        rows[2]?.wall.push(m.wall);
      },
      async () => {
        const texts = Array.from({ length: 64 }, (_, i) => line(i));
        const m = perRecord((i) => lineHash(texts[i % 64] as string), batches, batch);
        rows[3]?.cpu.push(m.cpu);
        rows[3]?.wall.push(m.wall);
      },
    ];
    for (let s = 0; s < steps.length; s++) await steps[(s + round) % steps.length]?.();
  }
  const chainUs = spread(rows[1]?.cpu ?? []).median - spread(rows[0]?.cpu ?? []).median;
  return { rows, chainUs };
}

/**
 * Writes a history of about `bytes` through CallLog as the warden would (a decision and an outcome per call,
 * a sixth of them counted), spread over the 30 days before `end`, with the store's clock following the
 * records so rotation and retention behave as they would have.
 */
async function writeHistory(dir: string, bytes: number, end: number): Promise<{ calls: number; ms: number }> {
  let clock = end - 30 * DAY;
  const log = new CallLog(join(dir, "audit.jsonl"), 100, { now: () => clock, maxBytes: 2 ** 45 });
  await log.open(0);
  const t0 = performance.now();
  const perCall = 560;
  const calls = Math.ceil(bytes / perCall);
  const step = (30 * DAY) / calls;
  for (let i = 0; i < calls; i++) {
    clock = end - 30 * DAY + Math.floor(i * step);
    const r = record(i, clock);
    log.decision(r, keysOf(r));
    log.outcome({ id: r.id, ts: clock + 40, outcome: "ok", latencyMs: 40 + (i % 300) });
    // Let the background compression keep up now and then, as it does between calls in a running warden.
    if (i % 50_000 === 49_999) await log.settled();
  }
  log.close();
  await log.settled();
  return { calls, ms: performance.now() - t0 };
}

/** Milliseconds for a fresh CallLog to open the log (the warden's start-up: counters and the ring). */
async function openMs(dir: string): Promise<{ ms: number; lines: number; fromSnapshot: boolean }> {
  const log = new CallLog(join(dir, "audit.jsonl"), 5_000);
  const t0 = performance.now();
  // As the warden starts: counters for a one-day window ending now.
  const replay = await log.open(Date.now() - DAY);
  const elapsed = performance.now() - t0;
  log.close();
  await log.settled();
  return { ms: elapsed, lines: replay.lines, fromSnapshot: replay.fromSnapshot === true };
}

/** Every line of every file read and parsed, as start-up did before (it read the whole file). */
async function readAllMs(dir: string): Promise<{ ms: number; lines: number; bytes: number }> {
  const paths = auditPaths(join(dir, "audit.jsonl"));
  const t0 = performance.now();
  let lines = 0;
  let bytes = 0;
  for (const f of [...listSegments(paths), { path: paths.active, compressed: false }]) {
    for await (const line of linesForward(f.path, f.compressed)) {
      bytes += line.bytes.length + 1;
      if (!line.bytes.length) continue;
      JSON.parse(line.bytes.toString("utf8"));
      lines++;
    }
  }
  return { ms: performance.now() - t0, lines, bytes };
}

/** Runs the audit benchmark. */
export async function runAudit(options: BenchOptions): Promise<BenchReport> {
  const { rows, chainUs } = await chainCost(options);
  const costRows = rows.map((r) => [
    r.label,
    showSpread(spread(r.cpu), (v) => num(v, 2)),
    showSpread(spread(r.wall), (v) => num(v, 2)),
  ]);

  const end = Date.now();
  const bigBytes = options.quick ? 64 << 20 : 1 << 30;
  const big = tempDir("audit-history");
  const written = await writeHistory(big, bigBytes, end);
  const small = tempDir("audit-small");
  await writeHistory(small, 8 << 20, end);
  const paths = auditPaths(join(big, "audit.jsonl"));
  const segments = listSegments(paths);
  const disk = logBytes(paths).bytes;

  const rounds = options.quick ? 3 : 5;
  const withSnapshot: number[] = [];
  const smallOpen: number[] = [];
  const noSnapshot: number[] = [];
  let lines = { snapshot: 0, none: 0 };
  for (let r = 0; r < rounds; r++) {
    const a = await openMs(big);
    if (!a.fromSnapshot) throw new Error("the big history's snapshot was not used");
    withSnapshot.push(a.ms);
    lines.snapshot = a.lines;
    smallOpen.push((await openMs(small)).ms);
    // Without it (closing writes a new one; the original goes back after).
    const aside = `${paths.dir}/snapshot.aside`;
    renameSync(paths.snapshot, aside);
    const b = await openMs(big);
    noSnapshot.push(b.ms);
    lines = { ...lines, none: b.lines };
    renameSync(aside, paths.snapshot);
  }
  const t0 = performance.now();
  listSegments(paths);
  logBytes(paths);
  const listMs = performance.now() - t0;
  const all = await readAllMs(big);
  const raw = all.bytes;
  const filesAt10GB = Math.ceil((segments.length * (10 * 1024 ** 3)) / raw);
  const extrapolated =
    spread(withSnapshot).median + (listMs * (filesAt10GB - segments.length)) / segments.length;

  return {
    name: "9. Audit: the hash chain per record, start-up with a large rotated history",
    tables: [
      {
        title: `Per record (µs; min / median / max of ${rows[0]?.cpu.length} rounds in rotating order, each the median of batches of 2,000)`,
        headers: ["what", "CPU µs", "wall µs"],
        rows: costRows,
      },
      {
        title: `Start-up: CallLog.open() with 5,000 calls to refill and a one-day window (ms; min / median / max of ${rounds} rounds)`,
        headers: ["history", "files", "open() ms", "lines read"],
        rows: [
          [
            `${num(raw / 2 ** 20)} MiB of records (${num(written.calls)} calls over 30 days), ${num(disk / 2 ** 20)} MiB on disk`,
            num(segments.length + 1),
            showSpread(spread(withSnapshot), ms),
            num(lines.snapshot),
          ],
          ["8 MiB of records (for comparison)", "", showSpread(spread(smallOpen), ms), ""],
          [
            "the large history without its snapshot (read back to the window's start)",
            "",
            showSpread(spread(noSnapshot), ms),
            num(lines.none),
          ],
          [
            "the large history read and parsed whole (what start-up did before)",
            "",
            ms(all.ms),
            num(all.lines),
          ],
        ],
      },
    ],
    goals: [
      {
        benchmark: "9 audit",
        goal: "hash chain ≤ 5 µs per record",
        measured: `${num(chainUs, 2)} µs (CPU time, chained − plain append)`,
        met: chainUs <= 5,
      },
      {
        benchmark: "9 audit",
        goal: "start-up ≤ 1 s with 10 GB of rotated history",
        measured: `${ms(spread(withSnapshot).median)} ms measured at ${num(raw / 2 ** 30, 2)} GiB; ~${ms(extrapolated)} ms extrapolated to 10 GiB (${num(filesAt10GB)} files)`,
        met: extrapolated <= 1_000,
      },
    ],
    notes: [
      `Writing the history took ${num(written.ms / 1000, 1)} s (${num((written.ms * 1000) / (2 * written.calls), 1)} µs per line, compression in the background included).`,
      "Start-up reads the signed snapshot (the counted calls of the window and the day counts), the records written after it, and the newest calls back to 5,000 for the ring; it lists the rotated files but does not open them unless the ring needs them. What grows with history is the listing: the 10 GiB figure adds the measured listing time per file for the files 10 GiB would have; the rest was measured flat (the 8 MiB row).",
      `Listing and sizing the ${num(segments.length)} rotated files took ${ms(listMs)} ms.`,
    ],
  };
}

export const audit: Benchmark = {
  name: "audit",
  describe: "9. Audit: hash chain cost per record, start-up with a large rotated history",
  run: runAudit,
};

await runIfMain(import.meta.url, audit);
