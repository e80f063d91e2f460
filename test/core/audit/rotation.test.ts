/**
 * Rotation by size and age, compression, the chain across files, retention, the disk bound, and a start-up
 * that reads the snapshot and the records after it rather than the whole history.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditFullError, CallLog } from "../../../main/core/audit/call-log.js";
import { lineHash } from "../../../main/core/audit/chain.js";
import type { AuditOptions } from "../../../main/core/audit/options.js";
import { verifyAudit } from "../../../main/core/audit/verify.js";
import { allLines, call, KEY, linesOf, logDir, rotated } from "./helpers.js";

const dirs: string[] = [];
const logs: CallLog[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) {
    log.close();
    await log.settled();
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;

async function openLog(dir: string, since: number, options: Partial<AuditOptions> = {}, ringSize = 100) {
  const log = new CallLog(join(dir, "audit.jsonl"), ringSize, { maxFileBytes: 8 * 1024, ...options });
  logs.push(log);
  const replay = await log.open(since);
  return { log, replay };
}

function newDir(): string {
  const dir = logDir();
  dirs.push(dir);
  return dir;
}

/** Writes `n` counted calls (decision + outcome) at one-second steps ending at `end`. */
function writeCalls(log: CallLog, n: number, end: number, prefix = "c"): void {
  for (let i = 0; i < n; i++) {
    const ts = end - (n - 1 - i) * 1_000;
    log.decision(call(`${prefix}${i}`, ts, { args: { vm_name: `vm-${i}`, pad: "p".repeat(100) } }), [KEY]);
    log.outcome({ id: `${prefix}${i}`, ts: ts + 5, outcome: "ok", latencyMs: 5 });
  }
}

describe("rotation", () => {
  it("rotates by size, compresses all but the newest rotated file, and the chain runs on across files", async () => {
    const dir = newDir();
    const now = Date.now();
    const { log } = await openLog(dir, now - HOUR);
    writeCalls(log, 200, now);
    log.close();
    await log.settled();

    const files = rotated(dir);
    expect(files.length).toBeGreaterThan(5);
    expect(files.slice(0, -1).every((f) => f.endsWith(".jsonl.gz"))).toBe(true);
    expect(files.at(-1)?.endsWith(".jsonl")).toBe(true);
    for (const name of readdirSync(dir)) expect(name.endsWith(".tmp")).toBe(false);

    // Each file's first line links to the last line of the file before it, and names that file.
    const paths = [...files, "audit.jsonl"].map((f) => join(dir, f));
    for (let i = 1; i < paths.length; i++) {
      const before = linesOf(paths[i - 1] as string);
      const first = JSON.parse(linesOf(paths[i] as string)[0] ?? "") as Record<string, unknown>;
      expect(first).toMatchObject({ t: "segment", prev: lineHash(before.at(-1) as string) });
      expect(String(first.previous)).toBe((files[i - 1] as string).replace(/\.gz$/, ""));
      expect(JSON.parse(before.at(-1) as string)).toMatchObject({ t: "checkpoint" });
    }
    const seqs = allLines(dir).map((l) => l.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(allLines(dir).filter((l) => l.t === "decision")).toHaveLength(200);

    const report = await verifyAudit({ active: join(dir, "audit.jsonl") });
    expect(report.problems).toEqual([]);
    expect(report.files).toHaveLength(files.length + 1);
    expect(report.signedThrough).toBe(report.lastSeq);

    // The ring is refilled across the files, compressed ones too, newest first.
    const again = await openLog(dir, Date.now() - HOUR, {}, 150);
    expect(again.log.recent(150).map((r) => r.id)).toEqual(
      Array.from({ length: 150 }, (_, i) => `c${199 - i}`),
    );
    expect(again.log.get("c60")).toMatchObject({ outcome: "ok", latencyMs: 5 });
  });

  it("rotates by age: a file started more than rotateAfter ago is rotated at the next write", async () => {
    const dir = newDir();
    let clock = Date.now();
    const now = () => clock;
    const { log } = await openLog(dir, 0, { now, maxFileBytes: 1 << 20, rotateAfterMs: 86_400_000 });
    log.decision(call("a", clock), []);
    clock += 23 * HOUR;
    log.decision(call("b", clock), []);
    expect(rotated(dir)).toEqual([]);
    clock += 2 * HOUR;
    log.decision(call("c", clock), []);
    expect(rotated(dir)).toHaveLength(1);
    expect(linesOf(join(dir, rotated(dir)[0] as string)).some((l) => l.includes('"id":"b"'))).toBe(true);
    log.close();

    // The age survives a restart: it is read from the file's first line.
    clock += 25 * HOUR;
    const again = await openLog(dir, 0, { now, maxFileBytes: 1 << 20, rotateAfterMs: 86_400_000 });
    again.log.decision(call("d", clock), []);
    expect(rotated(dir)).toHaveLength(2);
  });

  it("olderThan pages back through every rotated file, newest first, without gaps or repeats", async () => {
    const dir = newDir();
    const now = Date.now();
    const first = await openLog(dir, now - HOUR);
    writeCalls(first.log, 300, now);
    first.log.close();
    await first.log.settled();
    expect(rotated(dir).length).toBeGreaterThan(5);

    const { log } = await openLog(dir, now - HOUR, {}, 10);
    const seen: string[] = [];
    let page = log.recent(10);
    seen.push(...page.map((r) => r.id));
    while (page.length > 0) {
      const last = page.at(-1);
      if (!last) break;
      page = await log.olderThan({ id: last.id, ts: last.ts }, 37);
      seen.push(...page.map((r) => r.id));
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => `c${299 - i}`));
    const [oldest] = await log.olderThan({ id: "c1", ts: now - 298_000 }, 5);
    expect(oldest).toMatchObject({ id: "c0", outcome: "ok", latencyMs: 5 });
    expect(await log.historyStart()).toMatchObject({ complete: true, ts: expect.any(Number) });
  });
});

describe("start-up reads what the limit windows need, not history", () => {
  it("counters come from the snapshot and the records after it: rotated files are not read", async () => {
    const dir = newDir();
    const now = Date.now();
    const first = await openLog(dir, now - HOUR);
    writeCalls(first.log, 400, now - 60_000);
    first.log.close();
    await first.log.settled();
    // Damage every rotated file: a start-up that read them would fail or count wrongly.
    for (const name of rotated(dir)) writeFileSync(join(dir, name), "not an audit file");

    const { log, replay } = await openLog(dir, Date.now() - HOUR, {}, 5);
    expect(replay.fromSnapshot).toBe(true);
    expect(replay.counted).toHaveLength(400);
    expect(replay.lines).toBeLessThan(40);
    expect(log.recent().map((r) => r.id)).toEqual(["c399", "c398", "c397", "c396", "c395"]);
    expect(log.callsOnDayOf(now - 60_000)).toBe(
      // Calls of the local day of the last call (the 400 may straddle midnight).
      Array.from({ length: 400 }, (_, i) => now - 60_000 - (399 - i) * 1_000).filter(
        (ts) => new Date(ts).toDateString() === new Date(now - 60_000).toDateString(),
      ).length,
    );
  });

  it("the records after the snapshot count too, and a call released after it gives its slot back", async () => {
    const dir = newDir();
    const now = Date.now();
    const first = await openLog(dir, now - HOUR);
    writeCalls(first.log, 50, now - 120_000);
    first.log.close();
    // A run that was killed: records written after the last snapshot, no close.
    const second = new CallLog(join(dir, "audit.jsonl"), 100, {
      maxFileBytes: 8 * 1024,
      snapshotEveryBytes: 1 << 30,
    });
    await second.open(Date.now() - HOUR);
    second.decision(call("late", now - 1_000), [KEY]);
    second.outcome({ id: "c49", ts: now - 500, status: "rejected", released: true });
    const snapshot = readFileSync(join(dir, "audit.snapshot"));
    // Closing would write a snapshot; put the older one back as a kill -9 would have left it.
    second.close();
    writeFileSync(join(dir, "audit.snapshot"), snapshot);

    const { replay } = await openLog(dir, Date.now() - HOUR);
    expect(replay.fromSnapshot).toBe(true);
    expect(replay.counted).toHaveLength(50);
    expect(replay.counted.at(-1)).toEqual({ keys: [KEY], at: now - 1_000 });
    expect(replay.counted.some((c) => c.at === now - 120_000)).toBe(false);
  });

  it("without a snapshot, start-up reads back only to the start of the longest window", async () => {
    const dir = newDir();
    const now = Date.now();
    const first = await openLog(dir, 0);
    writeCalls(first.log, 300, now - 3 * HOUR, "old");
    writeCalls(first.log, 20, now - 60_000, "new");
    first.log.close();
    await first.log.settled();
    rmSync(join(dir, "audit.snapshot"));
    const files = rotated(dir);
    // Damage the files older than the one where the window starts.
    const holding = files.findIndex((f) => linesOf(join(dir, f)).some((l) => l.includes('"id":"old299"')));
    expect(holding).toBeGreaterThan(1);
    for (const name of files.slice(0, holding)) writeFileSync(join(dir, name), "not an audit file");

    const { replay } = await openLog(dir, now - HOUR, {}, 5);
    expect(replay.fromSnapshot).toBeUndefined();
    expect(replay.counted).toHaveLength(20);
  });
});

describe("retention and the disk bound", () => {
  it("rotated files past their retention are deleted, the deletion is logged, and verify accepts it", async () => {
    const dir = newDir();
    let clock = Date.now();
    const options = { now: () => clock, keepMs: 86_400_000 };
    const first = await openLog(dir, 0, options);
    writeCalls(first.log, 150, clock);
    await first.log.settled();
    const before = rotated(dir);
    expect(before.length).toBeGreaterThan(3);

    clock += 2 * 86_400_000;
    writeCalls(first.log, 40, clock, "later");
    first.log.close();
    await first.log.settled();
    const after = rotated(dir);
    expect(after.some((f) => before.includes(f))).toBe(false);
    const retention = allLines(dir).filter((l) => l.t === "retention");
    expect(retention.length).toBeGreaterThan(0);
    expect(retention[0]).toMatchObject({ why: "older than 1 days", removed: expect.any(Array) });

    const report = await verifyAudit({ active: join(dir, "audit.jsonl") });
    expect(report.problems).toEqual([]);
    expect(report.notes.join("\n")).toMatch(/removed by retention/);
    const { log } = await openLog(dir, 0, options);
    expect(await log.historyStart()).toMatchObject({
      complete: false,
      note: expect.stringContaining("removed"),
    });
  });

  it('at the bound, "refuse" refuses new decisions (saying why) and keeps room for outcomes; the UI is warned first', async () => {
    const dir = newDir();
    const now = Date.now();
    const { log } = await openLog(dir, 0, { maxBytes: 160 * 1024, maxFileBytes: 32 * 1024 });
    let warnedAt: number | undefined;
    let refusedAt: number | undefined;
    let error: unknown;
    for (let i = 0; i < 2_000 && refusedAt === undefined; i++) {
      if (warnedAt === undefined && log.diskUsage().nearFull) warnedAt = i;
      try {
        log.decision(call(`c${i}`, now + i, { args: { pad: "p".repeat(400) } }), []);
      } catch (e) {
        refusedAt = i;
        error = e;
      }
    }
    expect(error).toBeInstanceOf(AuditFullError);
    expect(String(error)).toMatch(/reached its disk bound .* nothing is forwarded until there is room/);
    expect(warnedAt).toBeDefined();
    expect(refusedAt).toBeGreaterThan((warnedAt ?? 0) + 20);
    expect(log.diskUsage()).toMatchObject({ full: true, nearFull: true, limit: 160 * 1024 });
    // The outcome of a call already forwarded still fits: decisions stop short of a reserve kept for them.
    expect(log.outcome({ id: `c${(refusedAt ?? 1) - 1}`, ts: now + 5_000, outcome: "ok" })).toMatchObject({
      outcome: "ok",
    });
    log.close();
    await log.settled();
    expect((await verifyAudit({ active: join(dir, "audit.jsonl") })).problems).toEqual([]);
  });

  it('"drop-oldest" deletes the oldest rotated files instead, logs it, and stays under the bound', async () => {
    const dir = newDir();
    const now = Date.now();
    const { log } = await openLog(dir, 0, {
      maxBytes: 160 * 1024,
      maxFileBytes: 32 * 1024,
      whenFull: "drop-oldest",
    });
    for (let i = 0; i < 1_500; i++)
      log.decision(call(`c${i}`, now + i, { args: { pad: "p".repeat(400) } }), []);
    expect(log.diskUsage().bytes).toBeLessThanOrEqual(160 * 1024);
    log.close();
    await log.settled();
    const retention = allLines(dir).filter((l) => l.t === "retention");
    expect(retention.length).toBeGreaterThan(0);
    expect(String(retention[0]?.why)).toMatch(/bound/);
    expect((await verifyAudit({ active: join(dir, "audit.jsonl") })).problems).toEqual([]);
  });
});
