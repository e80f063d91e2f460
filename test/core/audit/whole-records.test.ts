/**
 * Every record is written whole or refused: a short write (a full disk writes what fits, then fails) throws,
 * the bytes that landed are cut off, and nothing is glued onto a torn line. The writes go through a shim
 * passed to CallLog; the file is real.
 */
import { createHmac } from "node:crypto";
import { ftruncateSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditWriteError, CallLog } from "../../../main/core/audit/call-log.js";
import { GENESIS, lineHash } from "../../../main/core/audit/chain.js";
import type { AuditIo } from "../../../main/core/audit/options.js";
import { verifyAudit } from "../../../main/core/audit/verify.js";
import { call, KEY, type Line, linesOf, logDir, parsedOf, systemError } from "./helpers.js";

const dirs: string[] = [];
const logs: CallLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A disk that can be told to write only the first `room` bytes of the next write, then fail. */
function filling(): {
  io: AuditIo;
  room: (bytes: number | undefined) => void;
  truncateFails: (on: boolean) => void;
} {
  let room: number | undefined;
  let failTruncate = false;
  return {
    io: {
      write(fd, buffer, offset, length) {
        if (room === undefined) return writeSync(fd, buffer, offset, length);
        if (room === 0) throw systemError("ENOSPC");
        const n = writeSync(fd, buffer, offset, Math.min(length, room));
        room -= n;
        return n;
      },
      truncate(fd, length) {
        if (failTruncate) throw systemError("EIO");
        ftruncateSync(fd, length);
      },
    },
    room: (bytes) => {
      room = bytes;
    },
    truncateFails: (on) => {
      failTruncate = on;
    },
  };
}

async function open(io: AuditIo, options: { checkpointEvery?: number } = {}) {
  const dir = logDir();
  dirs.push(dir);
  const path = join(dir, "audit.jsonl");
  const log = new CallLog(path, 100, { io, ...options });
  logs.push(log);
  await log.open(0);
  return { dir, path, log };
}

function callIds(path: string): string[] {
  return parsedOf(path)
    .filter((l) => l.t === "decision")
    .map((l) => l.id as string);
}

describe("short writes", () => {
  it("a record the disk cuts short is refused and removed; the next record starts on its own line", async () => {
    const disk = filling();
    const { path, log } = await open(disk.io);
    log.decision(call("a", 1_000), [KEY]);
    const before = readFileSync(path);

    disk.room(10);
    expect(() => log.decision(call("b", 2_000), [KEY])).toThrow(AuditWriteError);
    expect(() => log.decision(call("b2", 2_001), [KEY])).toThrow(
      /not written whole \(0 of \d+ bytes: ENOSPC\)/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(log.get("b")).toBeUndefined();

    disk.room(undefined);
    log.decision(call("c", 3_000), [KEY]);
    log.close();
    for (const line of linesOf(path)) expect(() => JSON.parse(line)).not.toThrow();
    expect(callIds(path)).toEqual(["a", "c"]);
    expect((await verifyAudit({ active: path })).problems).toEqual([]);

    const again = new CallLog(path, 100);
    logs.push(again);
    const replay = await again.open(0);
    expect(replay.counted).toEqual([
      { keys: [KEY], at: 1_000 },
      { keys: [KEY], at: 3_000 },
    ]);
    expect(again.recent().map((r) => r.id)).toEqual(["c", "a"]);
  });

  it("the message says how much was written and that the partial record was removed", async () => {
    const disk = filling();
    const { log } = await open(disk.io);
    disk.room(7);
    expect(() => log.outcome({ id: "x", ts: 1, outcome: "ok" })).toThrow(
      /the audit record was not written whole \(7 of \d+ bytes: ENOSPC\); the partial record was removed/,
    );
  });

  it("a write that makes no progress is a failure, not a loop", async () => {
    let calls = 0;
    const { log } = await open({
      write: () => {
        calls++;
        return 0;
      },
      truncate: (fd, length) => ftruncateSync(fd, length),
    });
    expect(() => log.decision(call("a", 1), [])).toThrow(/nothing more was written/);
    expect(calls).toBe(1);
  });

  it("when the torn bytes cannot be cut off, every write is refused until they can", async () => {
    const disk = filling();
    const { path, log } = await open(disk.io);
    log.decision(call("a", 1_000), []);
    const good = statSync(path).size;

    disk.truncateFails(true);
    disk.room(25);
    expect(() => log.decision(call("b", 2_000), [])).toThrow(/could not be removed \(EIO\)/);
    expect(statSync(path).size).toBe(good + 25);
    disk.room(undefined);
    expect(() => log.decision(call("c", 3_000), [])).toThrow(
      new RegExp(
        `ends in a torn record at byte ${good} that could not be removed \\(EIO\\); nothing is written`,
      ),
    );
    expect(() => log.outcome({ id: "a", ts: 3_001, outcome: "ok" })).toThrow(/torn record/);
    expect(statSync(path).size).toBe(good + 25);

    disk.truncateFails(false);
    log.decision(call("d", 4_000), []);
    log.close();
    expect(callIds(path)).toEqual(["a", "d"]);
    expect((await verifyAudit({ active: path })).ok).toBe(true);
  });
});

describe("the chain", () => {
  it("each line carries its seq and the SHA-256 of the line before; checkpoints are signed with the key", async () => {
    const { dir, path, log } = await open(filling().io, { checkpointEvery: 3 });
    for (let i = 0; i < 5; i++) log.decision(call(`c${i}`, 1_000 + i), []);
    log.close();
    const lines = linesOf(path);
    const parsed = lines.map((l) => JSON.parse(l) as Line);
    expect(parsed.map((l) => l.seq)).toEqual(parsed.map((_, i) => i + 1));
    expect(parsed[0]).toMatchObject({ prev: GENESIS, t: "segment", previous: null });
    for (let i = 1; i < lines.length; i++) expect(parsed[i]?.prev).toBe(lineHash(lines[i - 1] as string));
    expect(lines[1]?.startsWith(`{"seq":2,"prev":"${lineHash(lines[0] as string)}","t":"decision"`)).toBe(
      true,
    );

    const keyPath = join(dir, "audit.key");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const key = Buffer.from(readFileSync(keyPath, "utf8").trim(), "hex");
    const checkpoints = parsed.filter((l) => l.t === "checkpoint");
    // After 3 lines each; close adds none, as nothing was written after the last one.
    expect(checkpoints.map((c) => c.seq)).toEqual([4, 8]);
    for (const c of checkpoints) {
      const expected = createHmac("sha256", key)
        .update(`mcp-warden audit checkpoint\n${c.seq}\n${c.prev}\n${c.ts}`)
        .digest("hex");
      expect(c.mac).toBe(expected);
    }
    const [headMac, headBody] = readFileSync(join(dir, "audit.head"), "utf8").split("\n");
    expect(JSON.parse(headBody ?? "")).toMatchObject({ seq: 8, hash: lineHash(lines[7] as string) });
    expect(headMac).toBe(
      createHmac("sha256", key).update(`mcp-warden audit head\n${headBody}`).digest("hex"),
    );
  });

  it("a quiet log is signed within a second of its last record, without waiting for close", async () => {
    const { path, log } = await open(filling().io);
    log.decision(call("a", 1_000), []);
    log.decision(call("b", 2_000), []);
    const until = Date.now() + 10_000;
    while (!linesOf(path).at(-1)?.includes('"t":"checkpoint"') && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const report = await verifyAudit({ active: path });
    expect(report.problems).toEqual([]);
    expect(report.signedThrough).toBe(report.lastSeq);
    expect(report.lastSeq).toBe(4);
  });

  it("a log written before chaining stays readable, and new records chain onto its last line", async () => {
    const dir = logDir();
    dirs.push(dir);
    const path = join(dir, "audit.jsonl");
    const old = [
      JSON.stringify({ t: "decision", ...call("old1", 1_000), counterKeys: [KEY] }),
      JSON.stringify({ t: "outcome", id: "old1", ts: 1_100, outcome: "ok" }),
    ];
    writeFileSync(path, `${old.join("\n")}\n`);
    const log = new CallLog(path, 100);
    logs.push(log);
    expect((await log.open(0)).counted).toEqual([{ keys: [KEY], at: 1_000 }]);
    log.decision(call("new1", 2_000), [KEY]);
    log.close();
    const lines = linesOf(path);
    expect(lines.slice(0, 2)).toEqual(old);
    expect(JSON.parse(lines[2] ?? "")).toMatchObject({
      seq: 1,
      prev: lineHash(old[1] as string),
      id: "new1",
    });
    const report = await verifyAudit({ active: path });
    expect(report.ok).toBe(true);
    expect(report.unchained).toBe(2);
    expect(report.notes.join("\n")).toContain("2 lines were written before chaining");
  });

  it("a damaged key is an error on open, not a silent new chain", async () => {
    const dir = logDir();
    dirs.push(dir);
    writeFileSync(join(dir, "audit.key"), "not a key\n");
    const log = new CallLog(join(dir, "audit.jsonl"));
    await expect(log.open(0)).rejects.toThrow(/the audit key .* is damaged/);
  });
});

describe("arguments as the client wrote them", () => {
  it("land in the decision line byte for byte (multi-byte text, numbers past 2^53, 1.0) and the chain verifies", async () => {
    const { path, log } = await open({
      write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
      truncate: (fd, length) => ftruncateSync(fd, length),
    });
    const rawArgs = `{"vm_name":"dev-ü-€-😀","big":18446744073709551616,"one":1.0,"text":"${"x".repeat(100_000)}"}`;
    log.decision(call("a", 1_000, { args: JSON.parse(rawArgs) }), [KEY], rawArgs);
    log.decision(call("b", 2_000), [KEY]);
    const lines = linesOf(path);
    const decision = lines.find((l) => l.includes('"id":"a"')) ?? "";
    expect(decision).toContain(`"args":${rawArgs},`);
    expect(JSON.parse(decision)).toMatchObject({ t: "decision", id: "a", seq: expect.any(Number) });
    expect((await verifyAudit({ active: path })).problems).toEqual([]);
  });
});
