/** The call log: JSONL audit lines written before and after a call, replayed on start, and the recent ring. */
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CallLog } from "../../main/core/audit/call-log.js";
import type { CallRecord } from "../../shared/contract.js";

let dir: string;
const opened: CallLog[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "warden-"));
});

afterEach(() => {
  for (const log of opened.splice(0)) log.close();
  rmSync(dir, { recursive: true, force: true });
});

function logPath(): string {
  return join(dir, "calls.jsonl");
}

async function openLog(since = 0, ringSize?: number) {
  const log = new CallLog(logPath(), ringSize);
  opened.push(log);
  const replay = await log.open(since);
  return { log, replay };
}

function record(id: string, ts: number, more: Partial<CallRecord> = {}): CallRecord {
  return {
    id,
    ts,
    client: "alice",
    session: "s1",
    server: "virt",
    tool: "stop_vm",
    args: { vm_name: `vm-${id}` },
    status: "allowed",
    rule: 'tools["stop_vm"]',
    reason: "allowed by policy",
    ...more,
  };
}

function fileLines(): string[] {
  return readFileSync(logPath(), "utf8").split("\n");
}

/** The call lines of the file (decisions and outcomes), without the chain's fields. */
function parsedLines(): unknown[] {
  return fileLines()
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.t === "decision" || l.t === "outcome")
    .map(({ seq: _seq, prev: _prev, ...line }) => line);
}

const KEY = "stop_vm_rate\u0000grant:alice";

describe("writing", () => {
  it("writes a call's decision, then its outcome, one JSON object per line", async () => {
    const { log, replay } = await openLog();
    expect(replay).toEqual({ counted: [], lines: 0, unreadable: 0 });

    log.decision(record("a", 1_000), [KEY]);
    const updated = log.outcome({ id: "a", ts: 1_250, status: "allowed", outcome: "ok", latencyMs: 250 });

    expect(readFileSync(logPath(), "utf8").endsWith("\n")).toBe(true);
    expect(parsedLines()).toEqual([
      { t: "decision", ...record("a", 1_000), counterKeys: [KEY] },
      { t: "outcome", id: "a", ts: 1_250, status: "allowed", outcome: "ok", latencyMs: 250 },
    ]);
    expect(updated).toEqual({ ...record("a", 1_000), outcome: "ok", latencyMs: 250 });
    expect(log.get("a")).toEqual(updated);
  });

  it("an outcome can change a call's status and carry the upstream's error", async () => {
    const { log } = await openLog();
    log.decision(record("a", 1_000, { status: "awaiting-approval" }), [KEY]);
    log.outcome({ id: "a", ts: 2_000, status: "timed-out", released: true });
    log.decision(record("b", 3_000), []);
    log.outcome({ id: "b", ts: 3_100, outcome: "upstream-error", error: "server exited" });
    expect(log.get("a")?.status).toBe("timed-out");
    expect(log.get("b")).toMatchObject({
      status: "allowed",
      outcome: "upstream-error",
      error: "server exited",
    });
    expect(parsedLines()[1]).toEqual({
      t: "outcome",
      id: "a",
      ts: 2_000,
      status: "timed-out",
      released: true,
    });
  });

  it("an outcome for a call no longer in the ring is still written", async () => {
    const { log } = await openLog();
    expect(log.outcome({ id: "gone", ts: 5, outcome: "ok" })).toBeUndefined();
    expect(parsedLines()).toEqual([{ t: "outcome", id: "gone", ts: 5, outcome: "ok" }]);
  });

  it("the ring keeps its own copy of the record, so the caller's object is not changed by outcomes", async () => {
    const { log } = await openLog();
    const mine = record("a", 1_000);
    log.decision(mine, []);
    log.outcome({ id: "a", ts: 1_100, outcome: "tool-error" });
    expect(mine.outcome).toBeUndefined();
    expect(log.get("a")?.outcome).toBe("tool-error");
  });

  it("creates the audit file readable and writable by its owner only", async () => {
    await openLog();
    expect(statSync(logPath()).mode & 0o777).toBe(0o600);
  });

  it("appends to an existing file rather than replacing it", async () => {
    const first = await openLog();
    first.log.decision(record("a", 1_000), []);
    first.log.close();
    const second = await openLog();
    second.log.decision(record("b", 2_000), []);
    expect(parsedLines().map((l) => (l as { id: string }).id)).toEqual(["a", "b"]);
  });

  it.each([
    { name: "a log never opened", close: false },
    { name: "a closed log", close: true },
  ])("writing to $name throws", async ({ close }) => {
    const log = new CallLog(logPath());
    if (close) {
      await log.open(0);
      log.close();
    }
    expect(() => log.decision(record("a", 1), [])).toThrow("the audit log is not open");
    expect(() => log.outcome({ id: "a", ts: 2, outcome: "ok" })).toThrow("the audit log is not open");
  });

  it("a decision that could not be written is not shown as recent", () => {
    const log = new CallLog(logPath());
    expect(() => log.decision(record("a", 1), [])).toThrow();
    expect(log.get("a")).toBeUndefined();
  });
});

describe("replay on open", () => {
  /** Writes a log as a previous run would have. */
  async function previousRun(): Promise<void> {
    const { log } = await openLog();
    log.decision(record("old", 500), [KEY]); // older than since
    log.decision(record("edge", 900), [KEY]); // exactly at since
    log.decision(record("kept", 1_000), [KEY, "global_rate\u0000global"]);
    log.outcome({ id: "kept", ts: 1_200, outcome: "ok", latencyMs: 200 });
    log.decision(record("released", 2_000, { status: "awaiting-approval" }), [KEY]);
    log.outcome({ id: "released", ts: 2_500, status: "rejected", released: true });
    log.decision(record("denied", 3_000, { status: "denied", reason: "no rule allows this tool" }), []);
    log.decision(record("kept2", 4_000), [KEY]);
    log.close();
  }

  it("restores the counted calls newer than since that were not released", async () => {
    await previousRun();
    const { replay } = await openLog(900);
    expect(replay).toEqual({
      counted: [
        { keys: [KEY, "global_rate\u0000global"], at: 1_000 },
        { keys: [KEY], at: 4_000 },
      ],
      lines: 8,
      unreadable: 0,
      fromSnapshot: true,
    });
  });

  it("restores the same counted calls without a snapshot, by reading back to since", async () => {
    await previousRun();
    rmSync(join(dir, "calls.snapshot"));
    const { replay } = await openLog(900);
    expect(replay.fromSnapshot).toBeUndefined();
    expect(replay.counted).toEqual([
      { keys: [KEY, "global_rate\u0000global"], at: 1_000 },
      { keys: [KEY], at: 4_000 },
    ]);
  });

  it("refills the ring, newest first, with outcomes applied", async () => {
    await previousRun();
    const { log } = await openLog(900);
    expect(log.recent().map((r) => r.id)).toEqual(["kept2", "denied", "released", "kept", "edge", "old"]);
    expect(log.get("kept")).toEqual({ ...record("kept", 1_000), outcome: "ok", latencyMs: 200 });
    expect(log.get("released")?.status).toBe("rejected");
    expect(log.get("kept2")).not.toHaveProperty("counterKeys");
    expect(log.get("kept2")).not.toHaveProperty("t");
    expect(log.recent(2).map((r) => r.id)).toEqual(["kept2", "denied"]);
  });

  it("counts the calls of a day over the whole log, replayed and new", async () => {
    await previousRun();
    const { log } = await openLog(0);
    expect(log.callsOnDayOf(2_000)).toBe(6);
    log.decision(record("today", 4_500), []);
    expect(log.callsOnDayOf(4_500)).toBe(7);
    expect(log.callsOnDayOf(3 * 86_400_000)).toBe(0);
  });

  it("a torn last line is cut off on open and kept in a side file; the records before it are untouched", async () => {
    await previousRun();
    const before = readFileSync(logPath());
    const torn = '{"t":"decision","id":"torn","ts":5000,"client":"ali';
    appendFileSync(logPath(), torn);

    const { log, replay } = await openLog(900);
    expect(replay.repaired).toEqual({ bytes: torn.length, savedTo: expect.stringContaining("calls.torn-") });
    expect(readFileSync(replay.repaired?.savedTo ?? "", "utf8")).toBe(torn);
    expect(statSync(replay.repaired?.savedTo ?? "").mode & 0o777).toBe(0o600);
    expect(readFileSync(logPath()).equals(before)).toBe(true);
    expect(replay.unreadable).toBe(0);
    expect(replay.counted.map((c) => c.at)).toEqual([1_000, 4_000]);
    expect(log.get("torn")).toBeUndefined();

    log.decision(record("after", 6_000), [KEY]);
    log.close();
    const lines = fileLines();
    expect(lines.at(-1)).toBe("");
    for (const line of lines.filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(parsedLines().at(-1)).toMatchObject({ t: "decision", id: "after", counterKeys: [KEY] });

    const again = await openLog(900);
    expect(again.replay.repaired).toBeUndefined();
    expect(again.replay.counted.map((c) => c.at)).toEqual([1_000, 4_000, 6_000]);
    expect(again.log.recent(1)[0]?.id).toBe("after");
  });

  it("a last line that ends with a newline but is not JSON (a torn record with another glued on) is cut off too", async () => {
    await previousRun();
    const glued = `{"t":"decision","id":"torn","ts":50${JSON.stringify({ t: "decision", ...record("glued", 5_100), counterKeys: [] })}\n`;
    appendFileSync(logPath(), glued);
    const { replay } = await openLog(900);
    expect(replay.repaired?.bytes).toBe(Buffer.byteLength(glued));
    expect(readFileSync(replay.repaired?.savedTo ?? "", "utf8")).toBe(glued);
    expect(replay.unreadable).toBe(0);
  });

  it("a file that already ends with a newline gets no blank line added", async () => {
    writeFileSync(logPath(), `${JSON.stringify({ t: "decision", ...record("a", 1), counterKeys: [] })}\n`);
    const { log } = await openLog();
    log.decision(record("b", 2), []);
    expect(fileLines()).toHaveLength(3);
    expect(fileLines()[2]).toBe("");
  });

  it("blank lines are neither lines nor unreadable", async () => {
    writeFileSync(
      logPath(),
      `\n\n${JSON.stringify({ t: "decision", ...record("a", 1), counterKeys: [KEY] })}\n\n`,
    );
    const { replay } = await openLog(0);
    expect(replay).toEqual({ counted: [{ keys: [KEY], at: 1 }], lines: 1, unreadable: 0 });
  });
});

describe("the ring", () => {
  it("holds at most its size, dropping the oldest", async () => {
    const { log } = await openLog(0, 3);
    for (let i = 1; i <= 5; i++) log.decision(record(`c${i}`, i * 1_000), []);
    expect(log.recent().map((r) => r.id)).toEqual(["c5", "c4", "c3"]);
    expect(log.get("c2")).toBeUndefined();
    expect(log.get("c3")?.id).toBe("c3");
    expect(log.outcome({ id: "c1", ts: 9_000, outcome: "ok" })).toBeUndefined();
    expect(parsedLines()).toHaveLength(6);
  });

  it("is bounded when refilled from a longer file, but every counted call is still replayed", async () => {
    const first = await openLog();
    for (let i = 1; i <= 5; i++) first.log.decision(record(`c${i}`, i * 1_000), [KEY]);
    first.log.close();

    const { log, replay } = await openLog(0, 2);
    expect(log.recent().map((r) => r.id)).toEqual(["c5", "c4"]);
    expect(replay.counted).toHaveLength(5);
  });
});

describe("results kept for the UI", () => {
  it("cuts one result at 64 KB and keeps at most 16 MB of them, dropping the oldest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-"));
    const log = new CallLog(join(dir, "audit.jsonl"), 1_000);
    await log.open(0);
    const big = { content: [{ type: "text", text: "x".repeat(200_000) }] };
    for (let i = 0; i < 300; i++) {
      log.decision(
        {
          id: `c${i}`,
          ts: i,
          client: "c",
          session: "s",
          server: "v",
          tool: "t",
          args: {},
          status: "allowed",
          rule: "r",
          reason: "",
        },
        [],
      );
      log.setResult(`c${i}`, i === 299 ? { small: true } : big);
    }
    expect(log.resultOf("c299")).toEqual({ small: true });
    expect(log.resultOf("c298")).toMatchObject({ truncated: true });
    expect(String((log.resultOf("c298") as { preview: string }).preview)).toHaveLength(64 * 1024);
    const kept = Array.from({ length: 300 }, (_, i) => log.resultOf(`c${i}`)).filter((r) => r !== undefined);
    expect(kept.length).toBeLessThanOrEqual(257);
    expect(kept.length).toBeGreaterThan(200);
    expect(log.resultOf("c0")).toBeUndefined();
    log.close();
  });
});

describe("paging back through the whole log", () => {
  it("olderThan pages from the ring into the file, newest first, with outcomes, without gaps or repeats", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-"));
    const log = new CallLog(join(dir, "audit.jsonl"), 100);
    await log.open(0);
    for (let i = 0; i < 3_000; i++) {
      // Two calls share each timestamp, so the cursor must also tell calls of the same millisecond apart.
      log.decision(
        {
          id: `c${i}`,
          ts: Math.floor(i / 2),
          client: "c",
          session: "s",
          server: "v",
          tool: "t",
          args: { i },
          status: "allowed",
          rule: "r",
          reason: "",
        },
        [],
      );
      log.outcome({ id: `c${i}`, ts: Math.floor(i / 2), outcome: i % 7 ? "ok" : "tool-error", latencyMs: i });
    }
    const seen: string[] = [];
    let page = log.recent(50);
    seen.push(...page.map((r) => r.id));
    while (page.length > 0) {
      const last = page[page.length - 1];
      if (!last) break;
      page = await log.olderThan({ id: last.id, ts: last.ts }, 400);
      seen.push(...page.map((r) => r.id));
    }
    expect(seen).toEqual(Array.from({ length: 3_000 }, (_, i) => `c${2_999 - i}`));
    const [old] = await log.olderThan({ id: "c15", ts: 7 }, 1);
    expect(old).toMatchObject({ id: "c14", outcome: "tool-error", latencyMs: 14, args: { i: 14 } });
    expect(old).not.toHaveProperty("counterKeys");
    log.close();
  });
});

describe("arguments kept in memory and on disk", () => {
  it("are cut to 8 KB per call in the ring (the audit file keeps a forwarded call's whole), also when read back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-"));
    const path = join(dir, "audit.jsonl");
    const log = new CallLog(path, 10);
    await log.open(0);
    const note = "x".repeat(1_000_000);
    const kept = log.decision(
      {
        id: "big",
        ts: 1,
        client: "c",
        session: "s",
        server: "v",
        tool: "t",
        args: { note },
        status: "allowed",
        rule: "r",
        reason: "",
      },
      [],
    );
    expect(kept.argsTruncated).toBe(true);
    expect(JSON.stringify(kept.args).length).toBeLessThan(9 * 1024);
    log.close();
    expect(readFileSync(path, "utf8")).toContain(note);

    const again = new CallLog(path, 10);
    await again.open(0);
    expect(again.get("big")?.argsTruncated).toBe(true);
    expect(JSON.stringify(again.get("big")?.args).length).toBeLessThan(9 * 1024);
    again.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(["denied", "rate-limited"] as const)(
    "a %s call's arguments are kept on disk up to 8 KB, with the SHA-256 and size of the whole",
    async (status) => {
      const { log } = await openLog();
      const args = { note: "x".repeat(100_000), accent: "é" };
      const text = JSON.stringify(args);
      log.decision(record("refused", 1, { status, args }), []);
      log.decision(record("small", 2, { status, args: { vm_name: "dev-1" } }), []);
      const [refused, small] = parsedLines() as Record<string, unknown>[];
      expect(refused).toMatchObject({
        id: "refused",
        args: { "…": text.slice(0, 8 * 1024) },
        argsTruncated: true,
        argsSha256: createHash("sha256").update(text).digest("hex"),
        argsBytes: Buffer.byteLength(text),
      });
      expect(statSync(logPath()).size).toBeLessThan(12 * 1024);
      expect(small).toMatchObject({ args: { vm_name: "dev-1" } });
      expect(small).not.toHaveProperty("argsSha256");
      expect(log.get("refused")?.argsTruncated).toBe(true);
    },
  );
});
